import { createSelfSignedCertificate } from "../../src/emulator/selfSignedCertificate.js";

/** A PEM key and certificate for 127.0.0.1. */
export interface SelfSignedCertificate {
  key: string;
  cert: string;
}

/**
 * Makes a throw-away self-signed certificate for 127.0.0.1 with the emulator's generator
 * (`node:crypto` alone), so that the HTTPS tests need no `openssl` binary.
 */
export function makeSelfSignedCertificate(): SelfSignedCertificate {
  const { key, cert } = createSelfSignedCertificate({
    commonName: "127.0.0.1",
    subjectAltNames: ["127.0.0.1"],
    validityDays: 1,
  });
  return { key, cert };
}
