// The doctor's diagnosis: from what was seen to the likely cause and the fix.
import { describe, expect, it } from "vitest";
import { diagnose, type DiagnosisInput } from "../../src/cli/doctor/findings.js";
import type { TokenAttemptReport } from "../../src/cli/doctor/report.js";
import type { ManagedIdentitySourceName } from "../../src/sources/source.js";

const IMDS_URL = "http://169.254.169.254/metadata/identity/oauth2/token";

function input(overrides: Partial<DiagnosisInput["report"]> = {}, env: NodeJS.ProcessEnv = {}): DiagnosisInput {
  return {
    report: {
      environment: [],
      detection: { source: "imds", endpoint: IMDS_URL, reason: "IMDS: answered the probe with 400.", ms: 1 },
      endpoints: [{ source: "imds", url: IMDS_URL, why: "the fallback" }],
      ...overrides,
    },
    env,
    platform: "linux",
    arcTokenFolder: "/var/opt/azcmagent/tokens",
  };
}

function failedToken(
  source: ManagedIdentitySourceName,
  name: string,
  message: string,
  statusCode?: number,
  code?: string,
): TokenAttemptReport {
  return {
    source,
    scope: "https://management.azure.com/.default",
    ok: false,
    ms: 5,
    error: { name, message, statusCode, code },
  };
}

const idsFor = (token: TokenAttemptReport, env: NodeJS.ProcessEnv = {}): string[] =>
  diagnose(input({ detection: { source: token.source, reason: "found.", ms: 1 }, token }, env)).map((f) => f.id);

describe("diagnose: a failed token", () => {
  it.each([
    [
      failedToken(
        "arc",
        "AuthenticationError",
        "Azure Arc: refused to read the challenge file 'x.key': permission denied; add the user…",
        undefined,
        "arc-file-permission",
      ),
      "arc-permission",
    ],
    [
      failedToken(
        "arc",
        "AuthenticationError",
        "Azure Arc: refused to read the challenge file '/a/x.key': it is not inside the agent's token folder '/b'.",
        undefined,
        "arc-file-outside-folder",
      ),
      "arc-file-outside-folder",
    ],
    [
      failedToken(
        "arc",
        "AuthenticationError",
        "Azure Arc: refused to read the challenge file 'x.key': the agent's token folder '/v' cannot be opened (ENOENT).",
        undefined,
        "arc-folder-missing",
      ),
      "arc-folder-missing",
    ],
    [
      // Was reported as "the token folder cannot be opened" when the doctor read the message's words.
      failedToken(
        "arc",
        "AuthenticationError",
        "Azure Arc: refused to read the challenge file '/var/opt/azcmagent/tokens/x.key': it does not exist.",
        undefined,
        "arc-file-missing",
      ),
      "arc-file-missing",
    ],
    [
      failedToken(
        "arc",
        "AuthenticationError",
        "Azure Arc: asked for clientId c but the token's appid claim is d; the agent may be too old…",
        200,
        "identity-mismatch",
      ),
      "arc-identity-mismatch",
    ],
    [
      failedToken(
        "arc",
        "CredentialUnavailableError",
        "Azure Arc: nothing answers at http://127.0.0.1:40342/… (ECONNREFUSED), so…",
        undefined,
        "unreachable",
      ),
      "endpoint-not-listening",
    ],
    [
      failedToken(
        "imds",
        "CredentialUnavailableError",
        `IMDS: ${IMDS_URL} answered 400: invalid_request: Identity not found. No usable managed identity here.`,
        undefined,
        "no-identity",
      ),
      "imds-identity-not-assigned",
    ],
    [
      failedToken(
        "imds",
        "CredentialUnavailableError",
        `IMDS: ${IMDS_URL} answered 403: 'A socket operation was attempted to an unreachable network'.`,
        undefined,
        "docker-desktop",
      ),
      "docker-desktop",
    ],
    [
      failedToken(
        "imds",
        "AuthenticationError",
        "IMDS: no token from … within the caller's timeout of 10000 ms.",
        undefined,
        "timeout",
      ),
      "endpoint-slow",
    ],
    [
      failedToken(
        "appservice",
        "AuthenticationError",
        "App Service: http://127.0.0.1:8081/msi/token answered 401.",
        401,
      ),
      "denied",
    ],
    [failedToken("appservice", "AuthenticationError", "App Service: … answered 400.", 400), "identity-not-available"],
    [
      {
        ...failedToken("imds", "AuthenticationError", "IMDS: … answered 400.", 400, "http-status"),
        error: {
          name: "AuthenticationError",
          message: "IMDS: … answered 400.",
          statusCode: 400,
          code: "http-status",
          errorResponse: {
            error: "invalid_resource",
            errorDescription:
              "AADSTS500011: The resource principal named https://x was not found in the tenant named T.",
          },
        },
      },
      "request-refused",
    ],
    [failedToken("imds", "AuthenticationError", "IMDS: … answered 429.", 429), "throttled"],
    [failedToken("cloudshell", "AuthenticationError", "Cloud Shell: … answered 503.", 503), "endpoint-failing"],
    [
      failedToken("cloudshell", "TypeError", "Cloud Shell cannot use the user-assigned identity with clientId x: …"),
      "options-do-not-fit",
    ],
    [failedToken("azureml", "AuthenticationError", "Azure ML: the response is not a token."), "token-failed"],
  ])("%# → %s", (token, id) => {
    expect(idsFor(token)[0]).toBe(id);
  });

  it("decides by the error's code, never by its words: the same message under another code is another finding", () => {
    const words =
      "Azure Arc: refused to read the challenge file 'x.key': permission denied; it does not exist; nothing answers at…";
    expect(idsFor(failedToken("arc", "AuthenticationError", words, undefined, "arc-file-missing"))[0]).toBe(
      "arc-file-missing",
    );
    expect(idsFor(failedToken("arc", "AuthenticationError", words, undefined, "arc-file-permission"))[0]).toBe(
      "arc-permission",
    );
    expect(idsFor(failedToken("arc", "CredentialUnavailableError", words, undefined, "unreachable"))[0]).toBe(
      "endpoint-not-listening",
    );
    // Without a code (an error from elsewhere), no wording is taken for a cause.
    expect(idsFor(failedToken("arc", "Error", words))[0]).toBe("token-failed");
  });

  it("App Service's 401 is a stale IDENTITY_HEADER; the fix is a restart", () => {
    const [finding] = diagnose(
      input({
        detection: { source: "appservice", reason: "", ms: 1 },
        token: failedToken("appservice", "AuthenticationError", "denied", 403),
      }),
    );
    expect(finding?.cause).toContain("IDENTITY_HEADER");
    expect(finding?.fix).toContain("Restart the app");
  });

  it("a denial is explained by the source's declaration: IDENTITY_HEADER for Service Fabric, Metadata for IMDS and Arc, neither for Azure ML", () => {
    const deniedBy = (source: ManagedIdentitySourceName): string => {
      const [finding] = diagnose(
        input({
          detection: { source, reason: "", ms: 1 },
          token: failedToken(source, "AuthenticationError", "denied", 401, "http-status"),
        }),
      );
      expect(finding?.id).toBe("denied");
      return `${finding?.cause} ${finding?.fix}`;
    };
    expect(deniedBy("servicefabric")).toContain("IDENTITY_HEADER");
    expect(deniedBy("servicefabric")).not.toContain("Metadata");
    expect(deniedBy("imds")).toContain("Metadata header");
    expect(deniedBy("arc")).toContain("Metadata header");
    expect(deniedBy("azureml")).not.toContain("Metadata");
    expect(deniedBy("workloadidentity")).not.toContain("Metadata");
  });

  it("Microsoft Entra's refusal is read from errorResponse, never from the message's words", () => {
    const words = `IMDS: ${IMDS_URL} answered 400: invalid_resource: AADSTS500011: The resource principal was not found.`;
    expect(idsFor(failedToken("imds", "AuthenticationError", words, 400, "http-status"))[0]).toBe(
      "identity-not-available",
    );
    const token = failedToken("imds", "AuthenticationError", "IMDS: … answered 400.", 400, "http-status");
    token.error!.errorResponse = { error: "invalid_request", errorDescription: "", errorCodes: [50011] };
    const [finding] = diagnose(input({ token }));
    expect(finding).toMatchObject({ id: "request-refused", summary: expect.stringContaining("AADSTS50011") });
  });

  it("the himds fix names the Windows group on Windows", () => {
    const token = failedToken(
      "arc",
      "AuthenticationError",
      "…: permission denied; …",
      undefined,
      "arc-file-permission",
    );
    const [finding] = diagnose({
      ...input({ detection: { source: "arc", reason: "", ms: 1 }, token }),
      platform: "win32",
    });
    expect(finding?.fix).toContain("Hybrid agent extension applications");
  });

  it("a generic failure keeps the credential's message as the cause and the source's advice as the fix", () => {
    const [finding] = diagnose(
      input({ detection: { source: "azureml", reason: "", ms: 1 }, token: failedToken("azureml", "Error", "odd") }),
    );
    expect(finding).toMatchObject({ id: "token-failed", cause: "odd" });
    expect(finding?.fix).toContain("compute instance");
  });
});

describe("diagnose: the machine", () => {
  it("a token folder this user may not enter, and the same seen by the token attempt: one finding", () => {
    const findings = diagnose(
      input({
        detection: { source: "arc", reason: "", ms: 1 },
        arcTokenFolder: { path: "/var/opt/azcmagent/tokens", ok: false, detail: "EACCES: permission denied" },
        token: failedToken(
          "arc",
          "AuthenticationError",
          "…: permission denied; add the user…",
          undefined,
          "arc-file-permission",
        ),
      }),
    );
    expect(findings.map((f) => f.id)).toEqual(["arc-permission"]);
  });

  it("a missing token folder", () => {
    const findings = diagnose(
      input({
        detection: { source: "arc", reason: "", ms: 1 },
        arcTokenFolder: { path: "/v", ok: false, detail: "ENOENT" },
      }),
    );
    expect(findings.map((f) => f.id)).toEqual(["arc-folder-missing"]);
  });

  it("variables of a source set only in part", () => {
    const findings = diagnose(
      input({ detection: { source: "none", reason: "", ms: 1 } }, { IDENTITY_ENDPOINT: "http://127.0.0.1:1/x" }),
    );
    const partial = findings.find((f) => f.id === "partly-configured");
    expect(partial?.summary).toContain("IDENTITY_ENDPOINT set");
    expect(partial?.cause).toContain("App Service also needs IDENTITY_HEADER");
    expect(partial?.cause).toContain("Azure Arc also needs IMDS_ENDPOINT");
  });

  it("a proxy without NO_PROXY for IMDS, only when IMDS is what this machine would use", () => {
    const env = { HTTPS_PROXY: "http://proxy:3128" };
    expect(diagnose(input({}, env)).map((f) => f.id)).toContain("imds-proxy");
    expect(diagnose(input({}, { ...env, NO_PROXY: "169.254.169.254" })).map((f) => f.id)).not.toContain("imds-proxy");
    const arc = input({ detection: { source: "arc", reason: "", ms: 1 } }, env);
    expect(diagnose(arc).map((f) => f.id)).not.toContain("imds-proxy");
    const [finding] = diagnose(input({}, env));
    expect(finding?.fix).toContain("169.254.169.254");
  });

  it("an endpoint variable that is not a URL", () => {
    const findings = diagnose(
      input({
        detection: {
          source: "arc",
          reason: "Azure Arc: …, but its endpoint is unusable: IDENTITY_ENDPOINT is not a URL: 'x'.",
          unusable: "IDENTITY_ENDPOINT is not a URL: 'x'.",
          ms: 1,
        },
      }),
    );
    expect(findings.map((f) => f.id)).toEqual(["endpoint-unusable"]);
  });

  it("reads the detection's fields, never its reason's words", () => {
    const findings = diagnose(
      input({
        detection: { source: "arc", reason: "Azure Arc: the word unusable in a reason is just a word.", ms: 1 },
      }),
    );
    expect(findings.map((f) => f.id)).not.toContain("endpoint-unusable");
  });

  it("nothing found: one finding that says what to do on Azure and off it", () => {
    const [finding, ...rest] = diagnose(input({ detection: { source: "none", reason: "", ms: 1 } }));
    expect(rest).toEqual([]);
    expect(finding?.id).toBe("nothing-found");
    expect(finding?.fix).toContain("azure-managed-identity emulate");
  });

  it("a working machine: no findings", () => {
    const token: TokenAttemptReport = { source: "imds", scope: "s", ok: true, ms: 3 };
    expect(diagnose(input({ token }))).toEqual([]);
  });
});
