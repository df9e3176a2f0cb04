import http from "node:http";
import type { AddressInfo } from "node:net";

/** What a {@link RecordingProxy} saw. */
export interface ProxyTraffic {
  /** Plain proxied requests (an absolute URL in the request line): `http://` targets. */
  requests: string[];
  /** `CONNECT host:port` tunnels: `https://` targets. */
  connects: string[];
}

/** A loopback HTTP proxy that records every use and forwards nothing. */
export interface RecordingProxy extends ProxyTraffic {
  /** `http://127.0.0.1:port` */
  origin: string;
  close(): Promise<void>;
}

/**
 * Starts a proxy on 127.0.0.1 that records plain requests and `CONNECT` tunnels, answers the
 * first with 502 and refuses the second: nothing it sees goes anywhere.
 */
export async function startRecordingProxy(): Promise<RecordingProxy> {
  const requests: string[] = [];
  const connects: string[] = [];
  const server = http.createServer((req, res) => {
    requests.push(req.url ?? "");
    res.writeHead(502, { "Content-Type": "text/plain" });
    res.end("recording proxy: not forwarded");
  });
  server.on("connect", (req: http.IncomingMessage, socket) => {
    connects.push(req.url ?? "");
    socket.end("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    connects,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
