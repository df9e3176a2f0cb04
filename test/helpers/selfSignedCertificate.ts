import { X509Certificate } from "node:crypto";
import { createSelfSignedCertificate } from "../../src/emulator/selfSignedCertificate.js";

/** A PEM key and certificate for a loopback TLS server. */
export interface SelfSignedCertificate {
  key: string;
  cert: string;
}

/** A certificate as a Service Fabric cluster's: reached by address, vouched for only by its thumbprint. */
export interface PinnedCertificate extends SelfSignedCertificate {
  /** SHA-1, upper case with colons, as `X509Certificate.fingerprint` spells it. */
  sha1: string;
  sha256: string;
}

/**
 * Makes a throw-away self-signed certificate for `localhost` and 127.0.0.1 with the emulator's generator
 * (`node:crypto` alone), so that the HTTPS tests need no `openssl` binary and share one DER encoder.
 */
export function makeSelfSignedCertificate(): SelfSignedCertificate {
  const { key, cert } = createSelfSignedCertificate({
    commonName: "localhost",
    subjectAltNames: ["localhost", "127.0.0.1"],
    validityDays: 1,
  });
  return { key, cert };
}

/**
 * Makes a fresh key and self-signed certificate whose only name is `commonName`, never 127.0.0.1, as a
 * cluster's certificate does not name the address it is reached at: only the thumbprint can vouch for it.
 */
export function makePinnedCertificate(commonName = "sfmanagedidentity"): PinnedCertificate {
  const { key, cert } = createSelfSignedCertificate({ commonName, subjectAltNames: [commonName], validityDays: 1 });
  const x509 = new X509Certificate(cert);
  return { key, cert, sha1: x509.fingerprint, sha256: x509.fingerprint256 };
}
