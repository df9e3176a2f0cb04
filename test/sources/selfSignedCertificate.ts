import { X509Certificate } from "node:crypto";
import { createSelfSignedCertificate as makeCertificate } from "../../src/emulator/selfSignedCertificate.js";

/** A self-signed certificate made for one test run, like a Service Fabric cluster's. */
export interface SelfSignedCertificate {
  key: string;
  cert: string;
  /** SHA-1, upper case with colons, as `X509Certificate.fingerprint` spells it. */
  sha1: string;
  sha256: string;
}

/**
 * Makes a fresh EC key and self-signed certificate with the emulator's generator (`node:crypto`
 * alone: no `openssl` binary needed). Its only name is `commonName`, never 127.0.0.1, as a cluster's
 * certificate does not name the address it is reached at: only the thumbprint can vouch for it.
 */
export function createSelfSignedCertificate(commonName = "sfmanagedidentity"): SelfSignedCertificate {
  const { key, cert } = makeCertificate({ commonName, subjectAltNames: [commonName], validityDays: 1 });
  const x509 = new X509Certificate(cert);
  return { key, cert, sha1: x509.fingerprint, sha256: x509.fingerprint256 };
}
