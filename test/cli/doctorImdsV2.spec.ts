// The doctor's IMDSv2 check: whether IMDS offers IMDSv2 (mTLS proof of possession).
//
// Primary source, MSAL.NET (AzureAD/microsoft-authentication-library-for-dotnet at 39d200113):
// - src/client/Microsoft.Identity.Client/ManagedIdentity/ImdsManagedIdentitySource.cs, ProbeImdsEndpointAsync with
//   ImdsVersion.V2: `GET /metadata/identity/getplatformmetadata?cred-api-version=2.0` (ImdsV2ManagedIdentitySource's
//   CsrMetadataPath, ApiVersionQueryParam and ImdsV2ApiVersion), "probe omits the 'Metadata: true' header and then
//   treats 400 Bad Request as success";
// - src/client/Microsoft.Identity.Client/ManagedIdentity/V2/ImdsV2ManagedIdentitySource.cs,
//   ThrowCsrMetadataRequestException: "A 404 from the IMDSv2 CSR endpoint indicates that the host supports only
//   IMDSv1" (MtlsPopTokenNotSupportedinImdsV1);
// - tests/Microsoft.Identity.Test.Unit/ManagedIdentityTests/ImdsV2Tests.cs, ProbeImdsEndpointAsyncSucceeds and
//   ProbeImdsEndpointAsyncFails404WhichIsNonRetriableAndRetryPolicyIsNotTriggeredAsync.
// Unlike MSAL's probe, the doctor's is never retried and never on the token path.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { checkImdsV2, imdsV2Url } from "../../src/cli/doctor/imdsV2.js";
import type { DoctorReport } from "../../src/cli/doctor/report.js";
import { cliEnv, closedPort, runCli } from "../helpers/runCli.js";

const V2_PATH = "/metadata/identity/getplatformmetadata?cred-api-version=2.0";

interface Seen {
  method: string | undefined;
  url: string | undefined;
  headers: http.IncomingHttpHeaders;
}

/** A loopback IMDS: `onV2` answers the platform metadata path (or never does); the token path says "no identity". */
async function startImds(v2Status: number | "hang"): Promise<{ origin: string; port: number; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = http.createServer((request, response) => {
    seen.push({ method: request.method, url: request.url, headers: request.headers });
    if (request.url?.startsWith("/metadata/identity/getplatformmetadata")) {
      if (v2Status === "hang") return;
      response.writeHead(v2Status, { "content-type": "application/json" }).end("{}");
      return;
    }
    response
      .writeHead(400, { "content-type": "application/json" })
      .end(JSON.stringify({ error: "invalid_request", error_description: "Identity not found" }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  servers.push(server);
  const { port } = server.address() as AddressInfo;
  return { origin: `http://127.0.0.1:${port}`, port, seen };
}

const servers: http.Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

const v2Requests = (seen: Seen[]): Seen[] => seen.filter((s) => s.url?.startsWith("/metadata/identity/getplatform"));
const tokenEndpoint = (origin: string): URL => new URL(`${origin}/metadata/identity/oauth2/token`);

describe("checkImdsV2 (MSAL.NET ImdsManagedIdentitySource.ProbeImdsEndpointAsync, ImdsVersion.V2)", () => {
  it.each([
    [400, "v2-capable"],
    [404, "v1-only"],
    [200, "unknown"],
    [500, "unknown"],
    [503, "unknown"],
    [410, "unknown"],
  ] as const)("IMDS answers %i: %s, from exactly one GET without the Metadata header", async (status, verdict) => {
    const imds = await startImds(status);
    const check = await checkImdsV2(tokenEndpoint(imds.origin), 5_000);
    expect(check).toMatchObject({ verdict, status, url: `${imds.origin}${V2_PATH}` });
    // One request (5xx and 410, which the token path retries, are not retried here), to the path and query MSAL asks.
    expect(imds.seen).toHaveLength(1);
    expect(imds.seen[0]!.method).toBe("GET");
    expect(imds.seen[0]!.url).toBe(V2_PATH);
    expect(imds.seen[0]!.headers["metadata"]).toBeUndefined();
  });

  it("IMDS accepts the connection and never answers: unknown, ended by the timeout, one request", async () => {
    const imds = await startImds("hang");
    const check = await checkImdsV2(tokenEndpoint(imds.origin), 100);
    expect(check).toMatchObject({ verdict: "unknown", ok: false, detail: "no answer within 100 ms" });
    expect(check.status).toBeUndefined();
    expect(imds.seen).toHaveLength(1);
    expect(imds.seen[0]!.headers["metadata"]).toBeUndefined();
  });

  it("nothing listens: unknown, with the connection's error", async () => {
    const port = await closedPort();
    const check = await checkImdsV2(tokenEndpoint(`http://127.0.0.1:${port}`), 5_000);
    expect(check).toMatchObject({ verdict: "unknown", ok: false, detail: "ECONNREFUSED" });
  });

  it("asks beside the token endpoint in use, under the prefix AZURE_POD_IDENTITY_AUTHORITY_HOST gives", () => {
    expect(imdsV2Url(new URL("http://127.0.0.1:8080/metadata/identity/oauth2/token"))).toBe(
      `http://127.0.0.1:8080${V2_PATH}`,
    );
    expect(imdsV2Url(new URL("http://127.0.0.1:8080/pod/metadata/identity/oauth2/token"))).toBe(
      `http://127.0.0.1:8080/pod${V2_PATH}`,
    );
  });
});

describe("doctor's IMDSv2 line (spawned CLI, IMDS on loopback)", () => {
  it("400: offered, in the text report; one request without Metadata, never from the token attempt", async () => {
    const imds = await startImds(400);
    const run = await runCli(["doctor", "--timeout", "5000"], cliEnv(imds.port));
    expect(run.stdout).toMatch(/IMDSv2 {8}offered \(mTLS proof of possession\) \(getplatformmetadata answered 400 in/);
    // The detection's probe and the token attempt went to the token path; the IMDSv2 check alone asked for platform
    // metadata, once.
    expect(v2Requests(imds.seen)).toHaveLength(1);
    expect(v2Requests(imds.seen)[0]!.url).toBe(V2_PATH);
    expect(v2Requests(imds.seen)[0]!.headers["metadata"]).toBeUndefined();
    expect(imds.seen.filter((s) => s.url?.startsWith("/metadata/identity/oauth2/token")).length).toBeGreaterThan(1);
  });

  it("404: v1-only in --json, on the IMDS endpoint's report", async () => {
    const imds = await startImds(404);
    const run = await runCli(["doctor", "--json", "--timeout", "5000"], cliEnv(imds.port));
    const report = JSON.parse(run.stdout) as DoctorReport;
    const endpoint = report.endpoints.find((e) => e.source === "imds");
    expect(endpoint?.imdsV2).toMatchObject({ verdict: "v1-only", status: 404, url: `${imds.origin}${V2_PATH}` });
    expect(v2Requests(imds.seen)).toHaveLength(1);
    const text = await runCli(["doctor", "--timeout", "5000"], cliEnv(imds.port));
    expect(text.stdout).toContain("IMDSv2        not offered: IMDSv1 only (getplatformmetadata answered 404 in");
  });

  it("no answer: unknown, bounded by --probe-timeout, one request", async () => {
    const imds = await startImds("hang");
    const run = await runCli(["doctor", "--json", "--probe-timeout", "300", "--timeout", "5000"], cliEnv(imds.port));
    const endpoint = (JSON.parse(run.stdout) as DoctorReport).endpoints.find((e) => e.source === "imds");
    expect(endpoint?.imdsV2).toMatchObject({ verdict: "unknown", ok: false, detail: "no answer within 300 ms" });
    expect(v2Requests(imds.seen)).toHaveLength(1);
  });
});
