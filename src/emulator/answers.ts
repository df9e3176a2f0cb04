import { randomUUID } from "node:crypto";
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

/** The emulator's words for an injected status, so that a reader of a log knows it was scripted. @internal */
export function injectedDescription(status: number): string {
  switch (status) {
    case 410:
      return "The endpoint is being updated; retry for up to 70 seconds. (Injected by the emulator.)";
    case 429:
      return "Too many requests. (Injected by the emulator.)";
    default:
      return `HTTP ${status}. (Injected by the emulator.)`;
  }
}

/** Whether the `Metadata` header is `true`, as IMDS, Arc and Cloud Shell require. @internal */
export function hasMetadataHeader(request: EmulatedRequest): boolean {
  const value = request.headers["metadata"];
  return typeof value === "string" && value.trim().toLowerCase() === "true";
}

/** An api-version in Azure's `yyyy-mm-dd[-preview]` form. @internal */
export const API_VERSION_FORM = /^\d{4}-\d{2}-\d{2}(-preview)?$/;

/** Entra ID's answer to a resource that is really a scope: the credential forgot to drop `/.default`. @internal */
export function resourceIsScope(resource: string): boolean {
  return /\/\.default$/i.test(resource);
}

/** Entra ID's words for an unknown resource. @internal */
export function unknownResourceDescription(resource: string, tenantId: string): string {
  return `AADSTS500011: The resource principal named ${resource} was not found in the tenant named ${tenantId}. (Emulated.) Trace ID: ${randomUUID()}`;
}

/** Whether a request is for this path; a trailing slash is accepted, as msal-node sends one. @internal */
export function isPath(request: EmulatedRequest, path: string): boolean {
  return request.url.pathname === path || request.url.pathname === `${path}/`;
}
