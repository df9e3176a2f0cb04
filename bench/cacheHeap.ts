// Heap cost of the token cache per 1,000 cached tokens, and its bound: one ImdsCredential against a loopback
// IMDS that answers every resource with a token of a realistic size (about 1.6 kB, a Microsoft Entra access
// token's order of size). Run: node --expose-gc --import tsx bench/cacheHeap.ts
import http from "node:http";
import type { AddressInfo } from "node:net";
import { ImdsCredential } from "../src/index.js";

const TOKEN_CHARS = 1600;
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error("run with node --expose-gc");

let served = 0;
const server = http.createServer((req, res) => {
  served++;
  // A distinct token per answer, so that no string is shared between entries.
  const token = `${String(served).padStart(10, "0")}${"x".repeat(TOKEN_CHARS - 10)}`;
  res.writeHead(200, { "Content-Type": "application/json" });
  res.end(JSON.stringify({ access_token: token, expires_in: "86400", token_type: "Bearer" }));
});
await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

async function heapUsed(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    await new Promise((resolve) => setImmediate(resolve));
    gc!();
  }
  return process.memoryUsage().heapUsed;
}

async function fill(credential: ImdsCredential, from: number, count: number): Promise<void> {
  let next = from;
  const lane = async (): Promise<void> => {
    while (next < from + count) await credential.getToken(`https://r${next++}.example`);
  };
  await Promise.all(Array.from({ length: 16 }, lane));
}

const credential = new ImdsCredential({ endpoint: origin });
await fill(credential, 0, 100); // warm up: code, agent, sockets
const figures: number[] = [];
for (let round = 0; round < 5; round++) {
  const fresh = new ImdsCredential({ endpoint: origin });
  await fill(fresh, 0, 10); // the credential's own fixed cost, outside the measure
  const before = await heapUsed();
  await fill(fresh, 10, 1000);
  figures.push((await heapUsed()) - before);
}
figures.sort((a, b) => a - b);
const median = figures[2]!;

const bounded = new ImdsCredential({ endpoint: origin });
await fill(bounded, 0, 1000);
const atCap = await heapUsed();
await fill(bounded, 1000, 20_000);
const after20k = await heapUsed();

server.close();
server.closeAllConnections();
const KiB = 1024;
console.log(
  JSON.stringify(
    {
      node: process.version,
      tokenChars: TOKEN_CHARS,
      heapPer1000TokensKiB: Math.round(median / KiB),
      heapPer1000TokensRangeKiB: [Math.round(figures[0]! / KiB), Math.round(figures[4]! / KiB)],
      heapGrowthFrom1000To21000ResourcesKiB: Math.round((after20k - atCap) / KiB),
    },
    null,
    2,
  ),
);
