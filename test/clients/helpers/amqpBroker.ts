import net from "node:net";
import rhea, { type Connection, type EventContext, type Message, type Sender } from "rhea";

/** One CBS `put-token` request the broker received. */
export interface PutToken {
  /** The entity the token is for: `sb://<namespace>/<queue>`. */
  name: string;
  /** `jwt` for a Microsoft Entra token. */
  type: string;
  token: string;
  /** What the broker answered. */
  status: number;
}

/** A loopback AMQP 1.0 broker that speaks just enough of Service Bus for a sender: CBS and one queue. */
export interface AmqpBroker {
  /** The port on 127.0.0.1. */
  port: number;
  putTokens: PutToken[];
  /** The bodies of the messages accepted on any queue. */
  messages: unknown[];
  /**
   * A WebSocket stand-in for `webSocketOptions.webSocket`: whatever `wss://` URL the client builds,
   * it connects to this broker on 127.0.0.1 over plain TCP, so no name is resolved and nothing leaves
   * loopback. `urls` records the URLs the client asked for.
   */
  webSocket: new (url: string, protocols?: string | string[]) => unknown;
  urls: string[];
  /** Whether every byte written by either side has been read by the other: nothing in flight on loopback. */
  quiet(): boolean;
  close(): Promise<void>;
}

/** Options of {@link startAmqpBroker}. */
export interface AmqpBrokerOptions {
  /** Decides each put-token: `200` accepts it, `401` refuses it (as Service Bus refuses an invalid token). */
  checkToken(putToken: Omit<PutToken, "status">): number;
}

/**
 * Starts a broker on 127.0.0.1 built with rhea. It answers the CBS `put-token` request on `$cbs` (the
 * claims-based security draft: `operation`, `type`, `name` application properties, the token as the body;
 * the answer carries `status-code` and the request's `message_id` as `correlation_id`) and accepts messages
 * sent to any other address.
 */
export async function startAmqpBroker(options: AmqpBrokerOptions): Promise<AmqpBroker> {
  const putTokens: PutToken[] = [];
  const messages: unknown[] = [];
  const urls: string[] = [];
  const container = rhea.create_container({ id: "loopback-broker" });
  container.sasl_server_mechanisms.enable_anonymous();
  const cbsReplies = new Map<Connection, Map<string, Sender>>();
  const connections = new Set<Connection>();

  container.on("connection_open", (context: EventContext) => {
    connections.add(context.connection);
  });
  container.on("connection_close", (context: EventContext) => {
    connections.delete(context.connection);
  });
  container.on("sender_open", (context: EventContext) => {
    // The client's CBS receiver: the broker answers put-token requests on it, addressed by its name.
    const sender = context.sender!;
    if (sender.source?.address === "$cbs") {
      const replies = cbsReplies.get(context.connection) ?? new Map<string, Sender>();
      replies.set(sender.name, sender);
      cbsReplies.set(context.connection, replies);
    }
  });
  container.on("message", (context: EventContext) => {
    const message = context.message as Message;
    const address = context.receiver?.target?.address;
    if (address !== "$cbs") {
      // Service Bus sends a body as a data section (typecode 0x75) holding JSON.
      const body = message.body as { typecode?: number; content?: Buffer } | undefined;
      messages.push(body?.typecode === 0x75 && body.content ? JSON.parse(body.content.toString("utf8")) : body);
      return;
    }
    const properties = (message.application_properties ?? {}) as Record<string, unknown>;
    if (properties["operation"] !== "put-token") return;
    const request = {
      name: String(properties["name"]),
      type: String(properties["type"]),
      token: String(message.body),
    };
    const status = options.checkToken(request);
    putTokens.push({ ...request, status });
    const reply = cbsReplies.get(context.connection)?.get(String(message.reply_to));
    reply?.send({
      correlation_id: message.message_id,
      body: null,
      to: message.reply_to,
      application_properties: {
        "status-code": status,
        "status-description": status === 200 ? "OK" : "Unauthorized: the token was refused.",
      },
    });
  });

  const server = container.listen({ port: 0, host: "127.0.0.1" }) as unknown as net.Server;
  await new Promise<void>((resolve, reject) => {
    server.once("listening", resolve);
    server.once("error", reject);
  });
  const port = (server.address() as net.AddressInfo).port;
  const serverSockets = new Set<net.Socket>();
  server.on("connection", (socket: net.Socket) => {
    serverSockets.add(socket);
    socket.on("close", () => serverSockets.delete(socket));
  });

  const sockets = new Set<net.Socket>();
  let clientRead = 0;
  class LoopbackWebSocket {
    onopen: (() => void) | undefined;
    onmessage: ((event: { data: Buffer }) => void) | undefined;
    onclose: (() => void) | undefined;
    onerror: ((error: unknown) => void) | undefined;
    readonly url: string;
    readonly #socket: net.Socket;

    constructor(url: string) {
      this.url = url;
      urls.push(url);
      this.#socket = net.connect(port, "127.0.0.1", () => this.onopen?.());
      sockets.add(this.#socket);
      this.#socket.on("data", (data: Buffer) => {
        clientRead += data.length;
        this.onmessage?.({ data });
      });
      this.#socket.on("error", (error) => this.onerror?.(error));
      this.#socket.on("close", () => {
        sockets.delete(this.#socket);
        this.onclose?.();
      });
    }

    send(data: Buffer): void {
      this.#socket.write(data);
    }

    close(): void {
      this.#socket.end();
    }
  }

  return {
    port,
    putTokens,
    messages,
    webSocket: LoopbackWebSocket,
    urls,
    quiet: () => {
      const sum = (set: Set<net.Socket>, count: (socket: net.Socket) => number): number =>
        [...set].reduce((total, socket) => total + count(socket), 0);
      return (
        sum(serverSockets, (s) => s.bytesWritten) === clientRead &&
        sum(sockets, (s) => s.bytesWritten) === sum(serverSockets, (s) => s.bytesRead)
      );
    },
    close: async () => {
      for (const connection of connections) connection.close();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
