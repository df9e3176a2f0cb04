import { generateKeyPairSync, randomBytes, sign } from "node:crypto";
import { isIP } from "node:net";
import {
  bitString,
  boolean,
  explicit,
  implicitPrimitive,
  octetString,
  oid,
  sequence,
  set,
  time,
  unsignedInteger,
  utf8String,
} from "./der.js";

/** A certificate and its private key, both PEM. */
export interface SelfSignedCertificate {
  /** The certificate, PEM: give it to a client as its trusted CA. */
  cert: string;
  /** The private key, PKCS#8 PEM. */
  key: string;
}

/** Options of {@link createSelfSignedCertificate}. */
export interface SelfSignedCertificateOptions {
  /** The subject's common name. */
  commonName?: string;
  /** Host names and IP addresses the certificate is valid for. Default: `127.0.0.1`, `::1`, `localhost`. */
  subjectAltNames?: string[];
  /** How long it is valid. Default: one year. */
  validityDays?: number;
}

const ECDSA_WITH_SHA256 = "1.2.840.10045.4.3.2";

function ipBytes(address: string): Buffer {
  if (isIP(address) === 4) return Buffer.from(address.split(".").map(Number));
  // IPv6: expand "::" and write the eight groups.
  const [head = "", tail = ""] = address.split("::");
  const left = head ? head.split(":") : [];
  const right = address.includes("::") && tail ? tail.split(":") : [];
  const groups = address.includes("::")
    ? [...left, ...Array(8 - left.length - right.length).fill("0"), ...right]
    : left;
  return Buffer.from(groups.flatMap((g: string) => [parseInt(g, 16) >> 8, parseInt(g, 16) & 0xff]));
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return sequence(oid(id), ...(critical ? [boolean(true)] : []), octetString(value));
}

/**
 * Makes a self-signed X.509 v3 certificate (ECDSA P-256, SHA-256) for a loopback TLS server, with
 * `node:crypto` alone: no `openssl` binary, no dependency, the same on every machine with Node 20.
 * The certificate is its own CA (a client trusts it by passing it as `ca`).
 */
export function createSelfSignedCertificate(options: SelfSignedCertificateOptions = {}): SelfSignedCertificate {
  const { publicKey, privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const names = options.subjectAltNames ?? ["127.0.0.1", "::1", "localhost"];
  const notBefore = new Date(Date.now() - 60 * 60 * 1000); // an hour back: clocks differ a little
  const notAfter = new Date(Date.now() + (options.validityDays ?? 365) * 24 * 60 * 60 * 1000);
  const name = sequence(
    set(sequence(oid("2.5.4.3"), utf8String(options.commonName ?? "azure-managed-identity emulator"))),
  );
  const algorithm = sequence(oid(ECDSA_WITH_SHA256));
  const serial = randomBytes(16);
  serial[0] = (serial[0] ?? 0) & 0x7f; // positive

  const altNames = sequence(
    ...names.map((n) => (isIP(n) ? implicitPrimitive(7, ipBytes(n)) : implicitPrimitive(2, Buffer.from(n, "ascii")))),
  );
  const extensions = sequence(
    extension("2.5.29.19", true, sequence(boolean(true))), // basicConstraints: cA, so it can anchor itself
    extension("2.5.29.15", true, bitString(Buffer.from([0x84]), 2)), // keyUsage: digitalSignature, keyCertSign
    extension("2.5.29.37", false, sequence(oid("1.3.6.1.5.5.7.3.1"))), // extKeyUsage: serverAuth
    extension("2.5.29.17", false, altNames), // subjectAltName
  );
  const tbs = sequence(
    explicit(0, unsignedInteger(Buffer.from([2]))), // v3
    unsignedInteger(serial),
    algorithm,
    name,
    sequence(time(notBefore), time(notAfter)),
    name,
    publicKey.export({ type: "spki", format: "der" }),
    explicit(3, extensions),
  );
  const signature = sign("sha256", tbs, privateKey); // DER-encoded ECDSA signature
  const der = sequence(tbs, algorithm, bitString(signature));
  const base64 = der.toString("base64").replace(/(.{64})/g, "$1\n");
  return {
    cert: `-----BEGIN CERTIFICATE-----\n${base64}${base64.endsWith("\n") ? "" : "\n"}-----END CERTIFICATE-----\n`,
    key: privateKey.export({ type: "pkcs8", format: "pem" }) as string,
  };
}
