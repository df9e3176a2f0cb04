import { describe, expect, it } from "vitest";
import { environmentReport, showableUrl } from "../../src/cli/doctor/environmentReport.js";
import { noProxyCovers, proxyForHttp } from "../../src/cli/doctor/noProxy.js";

describe("environmentReport", () => {
  it("shows endpoints and ids, hides secrets, and counts an empty variable as unset", () => {
    const report = environmentReport({
      IDENTITY_ENDPOINT: "http://127.0.0.1:41000/msi/token",
      IDENTITY_HEADER: "header-secret",
      MSI_SECRET: "msi-secret",
      AZURE_CLIENT_ID: "client-1",
      IMDS_ENDPOINT: "  ",
    });
    expect(report.find((v) => v.name === "IDENTITY_ENDPOINT")).toEqual({
      name: "IDENTITY_ENDPOINT",
      set: true,
      value: "http://127.0.0.1:41000/msi/token",
    });
    expect(report.find((v) => v.name === "IDENTITY_HEADER")).toEqual({
      name: "IDENTITY_HEADER",
      set: true,
      secret: true,
    });
    expect(report.find((v) => v.name === "MSI_SECRET")).toEqual({ name: "MSI_SECRET", set: true, secret: true });
    expect(report.find((v) => v.name === "AZURE_CLIENT_ID")).toEqual({
      name: "AZURE_CLIENT_ID",
      set: true,
      value: "client-1",
    });
    expect(report.find((v) => v.name === "IMDS_ENDPOINT")).toEqual({ name: "IMDS_ENDPOINT", set: false, empty: true });
    expect(report.find((v) => v.name === "MSI_ENDPOINT")).toEqual({ name: "MSI_ENDPOINT", set: false });
    expect(JSON.stringify(report)).not.toMatch(/header-secret|msi-secret/);
  });

  it("masks a URL's user, password and query", () => {
    expect(showableUrl("http://alice:pw@proxy.example:3128")).toBe("http://****:****@proxy.example:3128/");
    expect(showableUrl("https://host/token?sig=abc")).toBe("https://host/token?****");
    expect(showableUrl("127.0.0.1")).toBe("127.0.0.1");
    // Scheme-less (curl takes it as a proxy) or malformed: everything before the last "@" is user info.
    expect(showableUrl("alice:s3cret@proxy.corp:3128")).toBe("****@proxy.corp:3128");
    expect(showableUrl("alice@proxy.corp:3128")).toBe("****@proxy.corp:3128");
    expect(showableUrl("http://admin:s3cret@[bad")).toBe("http://****@[bad");
    expect(showableUrl("http://admin:p@ss@[bad")).toBe("http://****@[bad");
  });
});

describe("proxy settings", () => {
  it("finds the proxy a plain http request would use, in either case", () => {
    expect(proxyForHttp({ https_proxy: "http://p:1" })).toEqual({ name: "https_proxy", value: "http://p:1" });
    expect(proxyForHttp({ HTTP_PROXY: "http://a:1", HTTPS_PROXY: "http://b:1" })).toEqual({
      name: "HTTP_PROXY",
      value: "http://a:1",
    });
    expect(proxyForHttp({ HTTP_PROXY: "" })).toBeUndefined();
  });

  it.each([
    ["169.254.169.254", true],
    ["localhost,169.254.169.254", true],
    ["localhost, 169.254.169.254:80", true],
    ["*", true],
    ["169.254.0.0/16", true],
    ["169.254.169.0/24", true],
    ["10.0.0.0/8", false],
    ["localhost,127.0.0.1", false],
    [".internal,.azure.com", false],
    ["", false],
  ])("NO_PROXY=%j covers 169.254.169.254: %s", (value, covered) => {
    expect(noProxyCovers("169.254.169.254", { NO_PROXY: value })).toBe(covered);
  });

  it("reads no_proxy too, and matches domain suffixes for names", () => {
    expect(noProxyCovers("169.254.169.254", { no_proxy: "169.254.169.254" })).toBe(true);
    expect(noProxyCovers("login.microsoftonline.com", { NO_PROXY: ".microsoftonline.com" })).toBe(true);
    expect(noProxyCovers("login.microsoftonline.com", { NO_PROXY: "microsoftonline.com" })).toBe(true);
    expect(noProxyCovers("evilmicrosoftonline.com", { NO_PROXY: "microsoftonline.com" })).toBe(false);
  });
});

describe("AZURE_TOKEN_CREDENTIALS in the doctor's environment", () => {
  it("is listed with the managed identity variables, and its effect is said whether set, unset or invalid", async () => {
    const { tokenCredentialsEffect } = await import("../../src/cli/doctor/environmentReport.js");
    expect(
      environmentReport({ AZURE_TOKEN_CREDENTIALS: "dev" }).find((v) => v.name === "AZURE_TOKEN_CREDENTIALS"),
    ).toEqual({
      name: "AZURE_TOKEN_CREDENTIALS",
      set: true,
      value: "dev",
    });
    expect(tokenCredentialsEffect({})).toBe(
      "AZURE_TOKEN_CREDENTIALS is not set: the environment, then the IMDS probe.",
    );
    expect(tokenCredentialsEffect({ AZURE_TOKEN_CREDENTIALS: "dev" })).toContain("which excludes managed identity");
    expect(tokenCredentialsEffect({ AZURE_TOKEN_CREDENTIALS: "ManagedIdentityCredential" })).toContain(
      "IMDS without a probe",
    );
    expect(tokenCredentialsEffect({ AZURE_TOKEN_CREDENTIALS: "nope" })).toMatch(/not a valid value.*refuses it/);
  });
});
