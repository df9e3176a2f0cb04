import { X509Certificate } from "node:crypto";
import https from "node:https";
import { describe, expect, it } from "vitest";
import { startHttpsServer } from "../helpers/httpsServer.js";
import {
  makeSelfSignedCertificate,
  type SelfSignedCertificate,
  selfSignedWithNodeCrypto,
} from "./selfSignedCertificate.js";

/** One GET over TLS that trusts only `certificate`. */
function getTrusting(certificate: SelfSignedCertificate, url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    https
      .get(url, { ca: certificate.cert, agent: false }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
      .on("error", reject);
  });
}

// The HTTPS interop tests stand on these certificates; the fallback must work where openssl is missing.
describe.each([
  ["makeSelfSignedCertificate()", makeSelfSignedCertificate],
  ["the node:crypto fallback", async () => selfSignedWithNodeCrypto()],
])("%s", (_name, make) => {
  it("is a self-signed P-256 certificate for localhost and 127.0.0.1, valid now", async () => {
    const certificate = await make();
    const x509 = new X509Certificate(certificate.cert);
    expect(x509.subject).toBe("CN=localhost");
    expect(x509.issuer).toBe("CN=localhost");
    expect(x509.verify(x509.publicKey)).toBe(true);
    expect(x509.publicKey.asymmetricKeyDetails?.namedCurve).toBe("prime256v1");
    expect(x509.checkHost("localhost")).toBe("localhost");
    expect(x509.checkIP("127.0.0.1")).toBe("127.0.0.1");
    const now = Date.now();
    expect(new Date(x509.validFrom).getTime()).toBeLessThanOrEqual(now);
    expect(new Date(x509.validTo).getTime()).toBeGreaterThan(now);
  });

  it("serves TLS that a client trusting it accepts, by name and by address", async () => {
    const certificate = await make();
    const server = await startHttpsServer(certificate, () => ({ status: 204 }));
    try {
      expect(await getTrusting(certificate, `${server.origin}/`)).toBe(204);
      expect(await getTrusting(certificate, `https://127.0.0.1:${server.port}/`)).toBe(204);
    } finally {
      await server.close();
    }
  });
});
