/**
 * A tenant's Microsoft Entra token endpoint under an authority: the authority's origin and path, then
 * `/{tenant}/oauth2/v2.0/token` (msal-common's `{authority}/{tenant}/oauth2/v2.0/token`). Built from its parts,
 * never by editing another tenant's URL, so an authority whose path holds the tenant's text keeps it.
 * @internal
 */
export function tenantTokenUrl(authority: URL, tenant: string): URL {
  const url = new URL(authority.href);
  url.search = "";
  url.hash = "";
  url.pathname = `${authority.pathname.replace(/\/+$/, "")}/${encodeURIComponent(tenant)}/oauth2/v2.0/token`;
  return url;
}
