import { execFileSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

/** A self-signed certificate made for one test run, like a Service Fabric cluster's. */
export interface SelfSignedCertificate {
  key: string;
  cert: string;
  /** SHA-1, upper case with colons, as `X509Certificate.fingerprint` spells it. */
  sha1: string;
  sha256: string;
}

/** Makes a fresh EC key and self-signed certificate with openssl, in a temporary folder removed at once. */
export function createSelfSignedCertificate(commonName = "sfmanagedidentity"): SelfSignedCertificate {
  const dir = mkdtempSync(path.join(tmpdir(), "mi-cert-"));
  try {
    const keyFile = path.join(dir, "key.pem");
    const certFile = path.join(dir, "cert.pem");
    execFileSync(
      "openssl",
      ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", keyFile, "-out", certFile, "-days", "1", "-subj", `/CN=${commonName}`],
      { stdio: "ignore" },
    );
    const cert = readFileSync(certFile, "utf8");
    const x509 = new X509Certificate(cert);
    return { key: readFileSync(keyFile, "utf8"), cert, sha1: x509.fingerprint, sha256: x509.fingerprint256 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
