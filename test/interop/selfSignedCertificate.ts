import { execFile } from "node:child_process";
import { generateKeyPairSync, randomBytes, sign } from "node:crypto";
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";

/** A PEM key and certificate for `localhost` and `127.0.0.1`, valid for one day. */
export interface SelfSignedCertificate {
  key: string;
  cert: string;
  /** Which way it was made. */
  madeWith: "openssl" | "node:crypto";
}

/**
 * Makes a fresh self-signed P-256 certificate: with `openssl` when it is installed, otherwise with
 * `node:crypto` and a small DER encoder, so the HTTPS tests never depend on a tool being present.
 */
export async function makeSelfSignedCertificate(): Promise<SelfSignedCertificate> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "self-signed-"));
  try {
    const keyFile = path.join(dir, "key.pem");
    const certFile = path.join(dir, "cert.pem");
    // A SAN is needed: Node checks the host name against it, not against the CN.
    await promisify(execFile)("openssl", [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-subj",
      "/CN=localhost",
      "-days",
      "1",
      "-addext",
      "subjectAltName=DNS:localhost,IP:127.0.0.1",
      "-keyout",
      keyFile,
      "-out",
      certFile,
    ]);
    return { key: await fs.readFile(keyFile, "utf8"), cert: await fs.readFile(certFile, "utf8"), madeWith: "openssl" };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    return selfSignedWithNodeCrypto();
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

// A minimal DER encoder: just the types an X.509 certificate needs.
function der(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  const n = body.length;
  const length =
    n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), length, body]);
}
const sequence = (...content: Buffer[]): Buffer => der(0x30, ...content);
const oid = (hex: string): Buffer => der(0x06, Buffer.from(hex, "hex"));
const utcTime = (date: Date): Buffer =>
  der(0x17, Buffer.from(`${date.toISOString().slice(2, 19).replace(/[-T:]/g, "")}Z`));

const ECDSA_WITH_SHA256 = sequence(oid("2a8648ce3d040302")); // 1.2.840.10045.4.3.2
const COMMON_NAME = oid("550403"); // 2.5.4.3
const SUBJECT_ALT_NAME = oid("551d11"); // 2.5.29.17

/** The same certificate as the openssl command makes, built with `node:crypto` alone. */
export function selfSignedWithNodeCrypto(now = new Date()): SelfSignedCertificate {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const name = sequence(der(0x31, sequence(COMMON_NAME, der(0x0c, Buffer.from("localhost")))));
  const serial = randomBytes(8);
  serial[0] = serial[0]! & 0x7f; // a positive INTEGER
  const altNames = sequence(der(0x82, Buffer.from("localhost")), der(0x87, Buffer.from([127, 0, 0, 1])));
  const tbs = sequence(
    der(0xa0, der(0x02, Buffer.from([2]))), // version 3
    der(0x02, serial),
    ECDSA_WITH_SHA256,
    name,
    sequence(utcTime(new Date(now.getTime() - 60_000)), utcTime(new Date(now.getTime() + 86_400_000))),
    name,
    publicKey.export({ type: "spki", format: "der" }),
    der(0xa3, sequence(sequence(SUBJECT_ALT_NAME, der(0x04, altNames)))),
  );
  const signature = sign("sha256", tbs, privateKey);
  const certificate = sequence(tbs, ECDSA_WITH_SHA256, der(0x03, Buffer.from([0]), signature));
  const base64 = certificate.toString("base64").replace(/.{64}/g, "$&\n").trimEnd();
  return {
    key: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    cert: `-----BEGIN CERTIFICATE-----\n${base64}\n-----END CERTIFICATE-----\n`,
    madeWith: "node:crypto",
  };
}
