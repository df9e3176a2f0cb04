/** What {@link containerInstructions} needs. @internal */
export interface ContainerInstructionsInput {
  /** App Service's token URL as the emulator serves it (`http://127.0.0.1:PORT/msi/token`). */
  appServiceUrl: string;
  /** Its `IDENTITY_HEADER` secret. */
  identityHeader: string;
  /** The address App Service listens on. */
  listen: string;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|\[::1\]|localhost)$/i;

/** Whether an address is on loopback only (nothing outside this machine can reach it). @internal */
export function isLoopbackAddress(address: string): boolean {
  return LOOPBACK.test(address);
}

/**
 * The lines that hand the emulator's App Service endpoint to a container: App Service's two variables, which
 * every Azure SDK in every language reads (`ManagedIdentityCredential`, `DefaultAzureCredential`), with the host
 * name a container reaches this machine by. On loopback, Docker Desktop forwards `host.docker.internal` to this
 * machine; on Linux a container shares the host's network (`--network host`). Listening on another address,
 * `host.docker.internal` is mapped to the host's gateway (`--add-host=host.docker.internal:host-gateway`).
 * @internal
 */
export function containerInstructions({ appServiceUrl, identityHeader, listen }: ContainerInstructionsInput): string {
  const url = new URL(appServiceUrl);
  const viaHost = `http://host.docker.internal:${url.port}${url.pathname}`;
  const lines = ["Containers (App Service's variables, which every Azure SDK reads):"];
  if (isLoopbackAddress(listen)) {
    lines.push(
      "  # Docker Desktop (macOS, Windows): host.docker.internal reaches this machine's loopback",
      `  docker run -e IDENTITY_ENDPOINT=${viaHost} -e IDENTITY_HEADER=${identityHeader} <image>`,
      "  # Linux: share this machine's network",
      `  docker run --network host -e IDENTITY_ENDPOINT=${url.href} -e IDENTITY_HEADER=${identityHeader} <image>`,
      "  # (or start the emulator with --listen 0.0.0.0 to reach it through host.docker.internal)",
    );
  } else {
    lines.push(
      `  docker run --add-host=host.docker.internal:host-gateway -e IDENTITY_ENDPOINT=${viaHost} -e IDENTITY_HEADER=${identityHeader} <image>`,
    );
  }
  lines.push(
    "  # docker compose: under your service",
    "    environment:",
    `      IDENTITY_ENDPOINT: ${viaHost}`,
    `      IDENTITY_HEADER: ${identityHeader}`,
  );
  if (!isLoopbackAddress(listen)) lines.push("    extra_hosts:", '      - "host.docker.internal:host-gateway"');
  return lines.join("\n");
}

/**
 * What listening beyond loopback exposes, said before anything is served.
 * @internal
 */
export function exposureWarning(listen: string, port: number): string {
  return (
    `App Service's endpoint listens on ${listen}:${port}, beyond this machine's loopback: any host or container that ` +
    "can reach that address and presents IDENTITY_HEADER gets tokens of the Azure CLI's signed-in identity (yours). " +
    "IMDS stays on loopback (its protocol has no secret). Stop the emulator when you are done."
  );
}
