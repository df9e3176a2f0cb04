import { randomUUID } from "node:crypto";

/** An app ID (a GUID), which Microsoft Entra ID takes as a resource as well as an app ID URI. */
const APP_ID_FORM = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** RFC 3986's absolute URI: a scheme, a colon, then something (`https://…`, `api://…`). */
const ABSOLUTE_URI_FORM = /^[a-z][a-z0-9+.-]*:\S+$/i;

/** How resources compare: Entra ID matches identifier URIs without regard to case or a trailing slash. */
function resourceKey(resource: string): string {
  return resource.trim().replace(/\/+$/, "").toLowerCase();
}

/** Entra's timestamp form in error descriptions: `2025-02-26 14:27:01Z`. */
function entraTimestamp(now: Date): string {
  return `${now.toISOString().slice(0, 19).replace("T", " ")}Z`;
}

/**
 * Which resources the emulated tenant knows, as Microsoft Entra ID decides it behind every token
 * endpoint: a resource that is not an absolute URI (`b`, `vault`) nor an app ID, a scope sent as a
 * resource (`…/.default`), and any resource the emulator was told it does not know, are refused.
 * @internal
 */
export class ResourceCheck {
  private readonly unknown: Set<string>;

  constructor(
    private readonly tenantId: string,
    unknownResources: readonly string[] = [],
  ) {
    this.unknown = new Set(unknownResources.map(resourceKey));
  }

  /** `undefined` when the resource is known; else Entra's AADSTS500011 description of the refusal. */
  refusal(resource: string): string | undefined {
    const known = (ABSOLUTE_URI_FORM.test(resource) && URL.canParse(resource)) || APP_ID_FORM.test(resource.trim());
    if (known && !/\/\.default$/i.test(resource) && !this.unknown.has(resourceKey(resource))) return undefined;
    return unknownResourceDescription(resource, this.tenantId);
  }
}

/**
 * Entra ID's words for a resource it does not know, as its token endpoint (and IMDS, which passes
 * them on) answers with `400 invalid_resource`. The wording is Entra's, from the recorded answer in
 * Microsoft's support article "Outlook doesn't connect when using modern authentication"
 * (MicrosoftDocs/SupportArticles-docs, Exchange/ExchangeHybrid/administration/
 * outlook-does-not-connect-with-modern-authentication.md): clients look for the AADSTS code verbatim.
 * @internal
 */
export function unknownResourceDescription(resource: string, tenantId: string, now = new Date()): string {
  const id = randomUUID();
  return (
    `AADSTS500011: The resource principal named ${resource} was not found in the tenant named ${tenantId}. ` +
    "This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. " +
    "You might have sent your authentication request to the wrong tenant.\r\n" +
    `Trace ID: ${id}\r\nCorrelation ID: ${randomUUID()}\r\nTimestamp: ${entraTimestamp(now)}`
  );
}
