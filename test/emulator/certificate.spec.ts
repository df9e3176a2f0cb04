// The Key Vault's TLS certificate is made with node:crypto alone: it must be a well-formed X.509 v3
// certificate that Node's TLS accepts for 127.0.0.1, ::1 and localhost when (and only when) trusted.
import { X509Certificate } from "node:crypto";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createSelfSignedCertificate } from "../../src/emulator/index.js";
import { oid, time, unsignedInteger } from "../../src/emulator/der.js";

let server: https.Server | undefined;
afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

async function serve(key: string, cert: string): Promise<number> {
  server = https.createServer({ key, cert }, (_req, res) => res.end("ok"));
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  return (server.address() as AddressInfo).port;
}

function get(host: string, port: number, ca?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    https
      .get({ host, port, path: "/", ca, agent: false }, (res) => {
        let text = "";
        res.on("data", (c: Buffer) => (text += c.toString()));
        res.on("end", () => resolve(text));
      })
      .on("error", reject);
  });
}

describe("DER encoding", () => {
  it("encodes object identifiers, including arcs above 127", () => {
    expect(oid("2.5.29.17").toString("hex")).toBe("0603551d11");
    expect(oid("1.2.840.10045.4.3.2").toString("hex")).toBe("06082a8648ce3d040302");
  });

  it("keeps integers positive and minimal", () => {
    expect(unsignedInteger(Buffer.from([0x80])).toString("hex")).toBe("02020080");
    expect(unsignedInteger(Buffer.from([0, 0, 5])).toString("hex")).toBe("020105");
  });

  it("writes UTCTime before 2050 and GeneralizedTime from 2050", () => {
    expect(time(new Date("2030-01-02T03:04:05Z")).toString("ascii").slice(2)).toBe("300102030405Z");
    expect(time(new Date("2030-01-02T03:04:05Z"))[0]).toBe(0x17);
    expect(time(new Date("2051-01-02T03:04:05Z")).toString("ascii").slice(2)).toBe("20510102030405Z");
    expect(time(new Date("2051-01-02T03:04:05Z"))[0]).toBe(0x18);
  });
});

describe("createSelfSignedCertificate", () => {
  it("makes a self-signed v3 certificate for the loopback names", () => {
    const { cert } = createSelfSignedCertificate({ validityDays: 2 });
    const x509 = new X509Certificate(cert);
    expect(x509.subject).toBe("CN=azure-managed-identity emulator");
    expect(x509.issuer).toBe(x509.subject);
    expect(x509.subjectAltName).toBe("IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, DNS:localhost");
    expect(x509.ca).toBe(true);
    expect(x509.verify(x509.publicKey)).toBe(true);
    expect(x509.keyUsage).toContain("1.3.6.1.5.5.7.3.1");
    const days = (Date.parse(x509.validTo) - Date.parse(x509.validFrom)) / 86_400_000;
    expect(days).toBeGreaterThan(2); // two days, plus the hour of clock skew before now
    expect(days).toBeLessThan(2.1);
  });

  it("makes a different key and serial number every time", () => {
    const a = new X509Certificate(createSelfSignedCertificate().cert);
    const b = new X509Certificate(createSelfSignedCertificate().cert);
    expect(a.serialNumber).not.toBe(b.serialNumber);
    expect(a.fingerprint256).not.toBe(b.fingerprint256);
  });

  it("is accepted by Node's TLS for 127.0.0.1 and localhost when trusted, refused when not", async () => {
    const { key, cert } = createSelfSignedCertificate();
    const port = await serve(key, cert);
    expect(await get("127.0.0.1", port, cert)).toBe("ok");
    expect(await get("localhost", port, cert)).toBe("ok");
    await expect(get("127.0.0.1", port)).rejects.toMatchObject({ code: "DEPTH_ZERO_SELF_SIGNED_CERT" });
    const other = createSelfSignedCertificate().cert;
    await expect(get("127.0.0.1", port, other)).rejects.toMatchObject({ code: "DEPTH_ZERO_SELF_SIGNED_CERT" });
  });

  it("names only the hosts it is given", async () => {
    const { key, cert } = createSelfSignedCertificate({ subjectAltNames: ["localhost"] });
    expect(new X509Certificate(cert).subjectAltName).toBe("DNS:localhost");
    const port = await serve(key, cert);
    await expect(get("127.0.0.1", port, cert)).rejects.toMatchObject({ code: "ERR_TLS_CERT_ALTNAME_INVALID" });
  });
});
