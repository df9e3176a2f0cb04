import { timingSafeEqual } from "node:crypto";
import type { EmulatedAnswer, EmulatedRequest } from "./emulatedServer.js";

const OAUTH_ERROR_CODES: Record<number, string> = {
  400: "invalid_request",
  401: "unauthorized_client",
  403: "access_denied",
  404: "not_found",
  405: "invalid_request",
  408: "request_timeout",
  410: "gone",
  429: "too_many_requests",
  500: "server_error",
  502: "bad_gateway",
  503: "temporarily_unavailable",
  504: "gateway_timeout",
};

/** The OAuth error body the local token endpoints (IMDS, Arc, Cloud Shell) answer with. @internal */
export function oauthError(
  status: number,
  description: string,
  error = OAUTH_ERROR_CODES[status] ?? "error",
): EmulatedAnswer {
  return { status, body: { error, error_description: description } };
}

/**
 * The emulator's words for an injected status, so that a reader of a log knows it was scripted.
 * No closing punctuation: a client's message that quotes it adds its own.
 * @internal
 */
export function injectedDescription(status: number): string {
  switch (status) {
    case 410:
      return "The endpoint is being updated; retry for up to 70 seconds (injected by the emulator)";
    case 429:
      return "Too many requests (injected by the emulator)";
    default:
      return `HTTP ${status} (injected by the emulator)`;
  }
}

/** The `error` code of the emulator's own failure: never an injected fault, never the endpoint's. @internal */
export const EMULATOR_ERROR = "emulator_error";

/**
 * The emulator's words for its own failure while answering (a bug, or its token folder deleted
 * under it): what broke, and that it is neither the endpoint's answer nor an injected fault.
 * @internal
 */
export function emulatorErrorDescription(endpoint: string, error: unknown): string {
  const what = (error as Error | undefined)?.message ?? String(error);
  return `The emulator failed to answer this ${endpoint} request: ${what.replace(/[.\s]+$/, "")} (an emulator failure, not an injected fault; its standard error has the details)`;
}

/** Whether the `Metadata` header is `true`, as IMDS, Arc and Cloud Shell require. @internal */
export function hasMetadataHeader(request: EmulatedRequest): boolean {
  const value = request.headers["metadata"];
  return typeof value === "string" && value.trim().toLowerCase() === "true";
}

/** An api-version in Azure's `yyyy-mm-dd[-preview]` form. @internal */
export const API_VERSION_FORM = /^\d{4}-\d{2}-\d{2}(-preview)?$/;

/** Whether a request is for this path; a trailing slash is accepted, as msal-node sends one. @internal */
export function isPath(request: EmulatedRequest, path: string): boolean {
  return request.url.pathname === path || request.url.pathname === `${path}/`;
}

/** Whether a presented secret header is the expected one, compared in constant time. @internal */
export function sameSecret(presented: unknown, expected: string): boolean {
  if (typeof presented !== "string") return false;
  const a = Buffer.from(presented);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
