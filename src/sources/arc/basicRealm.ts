/**
 * The realm of a `Basic` challenge, quoted or not, among possibly several challenges: the file an
 * Azure Arc agent names in its `WWW-Authenticate` header.
 * @internal
 */
export function parseBasicRealm(header: string): string | undefined {
  const match = /(?:^|,)\s*Basic\s+realm\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/i.exec(header);
  if (!match) return undefined;
  return match[1] !== undefined ? match[1].replace(/\\(.)/g, "$1") : match[2];
}
