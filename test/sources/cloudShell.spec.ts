import { afterEach, describe, expect, it, vi } from "vitest";
import { CloudShellCredential } from "../../src/index.js";
import { startTokenServer, tokenAnswer, type SeenRequest, type TokenServer } from "../helpers/tokenServer.js";
import { recordingHttpClient } from "../helpers/recordingHttpClient.js";

const SCOPE = "https://management.azure.com/.default";

describe("CloudShellCredential: the request", () => {
  let server: TokenServer | undefined;
  afterEach(async () => {
    vi.unstubAllEnvs();
    await server?.close();
    server = undefined;
  });

  it("is POST $MSI_ENDPOINT with Metadata: true and the form body resource=R, no query", async () => {
    server = await startTokenServer(() => tokenAnswer("shell-token"));
    vi.stubEnv("MSI_ENDPOINT", `${server.origin}/oauth2/token`);
    const token = await new CloudShellCredential().getToken(SCOPE);
    expect(token.token).toBe("shell-token");

    expect(server.requests).toHaveLength(1);
    const request = server.requests[0] as SeenRequest;
    expect(request.method).toBe("POST");
    expect(request.url.pathname).toBe("/oauth2/token");
    expect(request.url.search).toBe("");
    expect(request.headers["metadata"]).toBe("true");
    expect(request.headers["content-type"]).toBe("application/x-www-form-urlencoded");
    expect(request.body).toBe("resource=https%3A%2F%2Fmanagement.azure.com");
    expect(Object.fromEntries(new URLSearchParams(request.body))).toEqual({ resource: "https://management.azure.com" });
  });

  it("encodes a resource that holds form syntax, so it cannot add a field", async () => {
    server = await startTokenServer(() => tokenAnswer());
    await new CloudShellCredential({ endpoint: `${server.origin}/oauth2/token` }).getToken(
      "api://x?a=1&client_id=evil",
    );
    expect(Object.fromEntries(new URLSearchParams(server.requests[0]!.body))).toEqual({
      resource: "api://x?a=1&client_id=evil",
    });
  });

  it("prefers the endpoint option to MSI_ENDPOINT", async () => {
    server = await startTokenServer(() => tokenAnswer());
    const other = await startTokenServer(() => tokenAnswer());
    try {
      vi.stubEnv("MSI_ENDPOINT", `${other.origin}/oauth2/token`);
      await new CloudShellCredential({ endpoint: `${server.origin}/custom` }).getToken(SCOPE);
      expect(other.requests).toHaveLength(0);
      expect(server.requests.map((r) => r.url.pathname)).toEqual(["/custom"]);
    } finally {
      await other.close();
    }
  });

  it.each([[""], [" "]])("counts MSI_ENDPOINT=%j as unset: Cloud Shell's default loopback endpoint", async (value) => {
    vi.stubEnv("MSI_ENDPOINT", value);
    const httpClient = recordingHttpClient();
    await new CloudShellCredential({ httpClient }).getToken(SCOPE);
    expect(httpClient.requests.map((r) => r.url)).toEqual(["http://localhost:50342/oauth2/token"]);
  });

  it.each([["clientId"], ["objectId"], ["resourceId"]])(
    "refuses %s at construction, saying why, and sends nothing",
    async (option) => {
      server = await startTokenServer(() => tokenAnswer());
      vi.stubEnv("MSI_ENDPOINT", `${server.origin}/oauth2/token`);
      // The options type leaves these out; a JavaScript caller can still pass them.
      const options = { [option]: "some-id" } as never;
      expect(() => new CloudShellCredential(options)).toThrow(TypeError);
      expect(() => new CloudShellCredential(options)).toThrow(
        /Cloud Shell cannot use .*signed-in user only.*Nothing was sent/,
      );
      expect(server.requests).toHaveLength(0);
    },
  );
});
