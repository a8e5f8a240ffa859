import { createServer, type Server } from "node:http";
import pg from "pg";
import { PostgresSaver } from "@langchain/langgraph-checkpoint-postgres";
import { createSyncHandler, nodeListener, postgresChangeFeed, syncVersions, type SyncCaller } from "../../src/server/index";

/**
 * The sync server of the e2e suites: the handler over PostgresSaver in Node's http server, with
 * bearer tokens "token-alice" and "token-bob", each allowed the threads that start with its
 * user's name. Counts the bytes it reads and writes on the wire.
 */
export const TOKENS: Record<string, string> = { "token-alice": "alice", "token-bob": "bob", "token-chat": "chat" };

export function authorize(request: Request): SyncCaller | null {
  const token = /^Bearer (\S+)$/.exec(request.headers.get("authorization") ?? "")?.[1];
  const user = token !== undefined ? TOKENS[token] : undefined;
  return user ? { id: user, canRead: (t) => t.startsWith(`${user}-`), canWrite: (t) => t.startsWith(`${user}-`) } : null;
}

export interface SyncServer {
  url: string;
  port: number;
  pool: pg.Pool;
  saver: PostgresSaver;
  /** Bytes of request and response bodies. */
  bytes: { in: number; out: number };
  /** Bytes read and written on the server's sockets: bodies, headers, chunk framing. */
  wire(): { read: number; written: number };
  close(): Promise<void>;
  /** Closes the http server (cutting connections) and listens again on the same port. */
  restart(): Promise<void>;
}

export async function startSyncServer(
  pgUrl: string,
  port = 0,
  options: { allowOrigin?: string | string[]; authorize?: (request: Request) => SyncCaller | null } = {},
): Promise<SyncServer> {
  const pool = new pg.Pool({ connectionString: pgUrl, max: 4 });
  // A connection PostgreSQL dropped (a restart) errors on the idle pool; the next query reconnects.
  pool.on("error", () => {});
  // A client checked out of the pool (the saver's transactions) has no pool listener while it is
  // out: unheard, its 'error' would end the process. Its query rejects anyway, which is a 503.
  pool.on("connect", (client) => client.on("error", () => {}));
  const saver = syncVersions(new PostgresSaver(pool));
  await saver.setup();
  const feed = postgresChangeFeed(pool);
  await feed.setup();
  const handler = createSyncHandler({ saver, feed, authorize: options.authorize ?? authorize, allowOrigin: options.allowOrigin });
  const bytes = { in: 0, out: 0 };
  const listener = nodeListener(handler);
  let server: Server;
  const listen = (p: number) =>
    new Promise<number>((resolve) => {
      server = createServer((req, res) => {
        req.on("data", (c: Buffer) => (bytes.in += c.length));
        const write = res.write.bind(res);
        res.write = ((chunk: Uint8Array, ...rest: never[]) => {
          bytes.out += chunk.length;
          return write(chunk, ...rest);
        }) as typeof res.write;
        listener(req, res);
      });
      server.listen(p, "127.0.0.1", () => resolve((server.address() as { port: number }).port));
    });
  const actual = await listen(port);
  const sockets = new Set<import("node:net").Socket>();
  const done = { read: 0, written: 0 };
  const track = () =>
    server.on("connection", (socket) => {
      sockets.add(socket);
      socket.on("close", () => {
        done.read += socket.bytesRead;
        done.written += socket.bytesWritten;
        sockets.delete(socket);
      });
    });
  track();
  const close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return {
    url: `http://127.0.0.1:${actual}/sync`,
    port: actual,
    pool,
    saver,
    bytes,
    wire() {
      let read = done.read;
      let written = done.written;
      for (const s of sockets) {
        read += s.bytesRead;
        written += s.bytesWritten;
      }
      return { read, written };
    },
    async close() {
      await close();
      await pool.end();
    },
    async restart() {
      await close();
      await listen(actual);
      track();
    },
  };
}
