import type { ErrorResponse } from "../errors.js";
import { scrubSecrets } from "../shared/secretScrubbing.js";

const MAX_DETAIL = 300;
/**
 * An endpoint's own description is kept whole up to this: Microsoft Entra's (AADSTS code, text, trace and
 * correlation ids) runs to about 500 characters, and clients match its code and text (`@azure/cosmos` and
 * `@azure/app-configuration` look for AADSTS500011 in `error.message`).
 * @internal
 */
export const MAX_DESCRIPTION = 2000;

/** C0 and C1 control characters and DEL: an endpoint's words printed to a terminal must not drive it (ESC, BEL). */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

/**
 * Puts an endpoint's text on one line fit for a message: every secret the request carried out (before it is cut,
 * so that a cut cannot leave part of one), blanks folded, control characters replaced by `�`, at most `max`
 * characters.
 */
function endpointWords(text: string, secrets: Record<string, string> | undefined, max = MAX_DETAIL): string {
  const scrubbed = secrets === undefined ? text : scrubSecrets(text, secrets);
  const flat = scrubbed.replace(/\s+/g, " ").trim().replace(CONTROL, "\ufffd");
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

/**
 * A body that is not JSON as a whole (cut by the size bound, or text around JSON) may still carry JSON-escaped
 * text (`\u0061`, `\/`): decoded before the secrets are looked for, so that no spelling of one gets through.
 */
function decodeJsonEscapes(text: string): string {
  return text
    .replace(/\\u([0-9a-fA-F]{4})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)))
    .replace(/\\\//g, "/");
}

/** `error_codes` items: Entra's numbers (`500011`), or strings of them (`"AADSTS50011"`, msal-node's Arc fixtures). */
const ERROR_CODE = /^(?:AADSTS)?(\d{1,9})$/i;

/**
 * `error_codes` as Entra sends it (`[500011]`), as strings (`["AADSTS50011"]`), or as a string of them
 * (`"[500011]"`, MSAL.NET's tests).
 */
function errorCodes(value: unknown): number[] | undefined {
  const items = Array.isArray(value) ? value : typeof value === "string" ? (value.match(/\d+/g) ?? []) : [];
  const codes = items
    .map((item) => (typeof item === "string" ? Number(ERROR_CODE.exec(item.trim())?.[1]) : Number(item)))
    .filter((code) => Number.isInteger(code) && code >= 0);
  return codes.length > 0 ? codes.slice(0, 10) : undefined;
}

/**
 * The ids Microsoft support asks for, for a message: `correlation ID …, trace ID …`.
 * @internal
 */
export function describeSupportIds(response: ErrorResponse): string {
  const parts = [
    response.correlationId && `correlation ID ${response.correlationId}`,
    response.traceId && `trace ID ${response.traceId}`,
    response.timestamp && `timestamp ${response.timestamp}`,
    response.errorCodes && `error codes ${response.errorCodes.join(", ")}`,
  ].filter(Boolean);
  return parts.join(", ");
}

/**
 * What an error answer says: the endpoint's fields (`errorResponse`, when it carried any) and a short text for a
 * message.
 * @internal
 */
export interface ErrorAnswer {
  errorResponse?: ErrorResponse;
  text?: string;
}

/**
 * The endpoint's own words in an error answer: OAuth's `error`/`error_description`, App Service's
 * `message`, Service Fabric's `error.code`/`error.message`; an HTML page by its title. With them the
 * support ids: `error_codes`, `timestamp`, `trace_id`, `correlation_id` (Entra, the Arc agent) or
 * `correlationId` (App Service, and Service Fabric inside `error`). Every string is scrubbed of `secrets` after
 * it is decoded (an agent may echo a secret JSON-escaped) and before it is cut.
 * @internal
 */
export function readErrorAnswer(body: string | undefined, secrets?: Record<string, string>): ErrorAnswer {
  if (!body || body.trim() === "") return {};
  const words = (text: string, max?: number): string => endpointWords(text, secrets, max);
  /** A JSON string or number field, as a one-line string; `undefined` when absent or empty. */
  const idField = (...values: unknown[]): string | undefined => {
    for (const value of values) {
      if (typeof value === "string" && value.trim() !== "") return words(value);
      if (typeof value === "number" && Number.isFinite(value)) return String(value);
    }
    return undefined;
  };
  try {
    const json = JSON.parse(body) as Record<string, unknown>;
    if (typeof json === "object" && json !== null) {
      const nested =
        typeof json["error"] === "object" && json["error"] !== null
          ? (json["error"] as Record<string, unknown>)
          : undefined;
      const error = typeof json["error"] === "string" ? json["error"] : nested?.["code"];
      const description = json["error_description"] ?? json["message"] ?? json["Message"] ?? nested?.["message"];
      const ids: Omit<ErrorResponse, "error" | "errorDescription"> = {
        errorCodes: errorCodes(json["error_codes"]),
        timestamp: idField(json["timestamp"]),
        traceId: idField(json["trace_id"], json["traceId"]),
        correlationId: idField(
          json["correlation_id"],
          json["correlationId"],
          nested?.["correlationId"],
          nested?.["correlation_id"],
        ),
      };
      const known = Object.fromEntries(Object.entries(ids).filter(([, value]) => value !== undefined));
      if (typeof error === "string" || typeof description === "string" || Object.keys(known).length > 0) {
        const errorResponse: ErrorResponse = {
          error: typeof error === "string" ? words(error) : "",
          errorDescription: typeof description === "string" ? words(description, MAX_DESCRIPTION) : "",
          ...known,
        };
        const supportIds = describeSupportIds(errorResponse);
        const said = [errorResponse.error, errorResponse.errorDescription].filter(Boolean).join(": ");
        return {
          errorResponse,
          text: [said, supportIds && `(${supportIds})`].filter(Boolean).join(" "),
        };
      }
      // A token answer sent with an error status (a proxy passing it on): never echo the token.
      if ("access_token" in json) return { text: "an answer that carries an access_token (not shown)" };
    }
  } catch {
    // Not JSON: an HTML page from a proxy or a plain-text error.
  }
  const title = /<title>([^<]*)<\/title>/i.exec(body)?.[1];
  if (title !== undefined) return { text: `an HTML page titled '${words(title)}'` };
  if (/^\s*</.test(body)) return { text: "an HTML page" };
  return { text: `'${words(secrets === undefined ? body : decodeJsonEscapes(body))}'` };
}

/**
 * An endpoint's text ends a sentence of ours: no second period after its own (`….`), no period after `?`/`!`.
 * @internal
 */
export function endSentence(text: string): string {
  return /[.!?…]$/.test(text) ? text : `${text}.`;
}

/**
 * Microsoft Entra's error code in an answer (`500011` for AADSTS500011): the first of `error_codes`, or the code
 * that opens the description (IMDS and App Service pass Entra's refusal on without `error_codes`).
 * @internal
 */
export function entraErrorCode(response: ErrorResponse | undefined): number | undefined {
  if (response === undefined) return undefined;
  const leading = /^AADSTS(\d+)\b/.exec(response.errorDescription)?.[1];
  return response.errorCodes?.[0] ?? (leading === undefined ? undefined : Number(leading));
}
