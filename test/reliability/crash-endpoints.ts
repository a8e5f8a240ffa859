import type { IncomingMessage } from "node:http";
import type { Plugin } from "vite";
import type { Found } from "./crash-writer";
import type { AckKind } from "./crash-ledger";

/**
 * The harness server's side of the self-driving crash page (test/reliability/crash-page.ts): a
 * Vite plugin answering the page's posts under /__crash/, and what arrived, per launch. A body
 * that does not arrive whole (the browser was killed mid-request) is dropped.
 */
export interface CrashInbox {
  plugin: Plugin;
  /** Calls `listener` for every acknowledgement that arrives, in arrival order, until the returned function is called. */
  onAck(listener: (kind: AckKind, id: string | number) => void): () => void;
  /** Resolves with what the page at `?launch=N` found on load. */
  found(launch: number, timeoutMs: number): Promise<Found>;
  /** Acknowledgements that arrived from launch N. */
  acks(launch: number): number;
  /** Uncaught errors the pages of launches `from` to `to` reported. */
  errors(from: number, to: number): string[];
}

function body(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString("utf8")));
      } catch (e) {
        reject(e);
      }
    });
    req.on("error", reject);
  });
}

export function crashInbox(): CrashInbox {
  const founds = new Map<number, Found>();
  const waiting = new Map<number, (f: Found) => void>();
  const ackCounts = new Map<number, number>();
  const listeners = new Set<(kind: AckKind, id: string | number) => void>();
  const errors: Array<{ launch: number; message: string }> = [];

  const plugin: Plugin = {
    name: "idb-checkpoint:crash-inbox",
    configureServer(server) {
      server.middlewares.use("/__crash", (req, res) => {
        const url = new URL(req.url ?? "/", "http://x");
        const launch = Number(url.searchParams.get("launch"));
        body(req).then(
          (data) => {
            if (url.pathname === "/found") {
              founds.set(launch, data as Found);
              waiting.get(launch)?.(data as Found);
            } else if (url.pathname === "/ack") {
              for (const [kind, id] of data as Array<[AckKind, string | number]>) for (const l of listeners) l(kind, id);
              ackCounts.set(launch, (ackCounts.get(launch) ?? 0) + (data as unknown[]).length);
            } else if (url.pathname === "/error") {
              errors.push({ launch, message: (data as { message: string }).message });
            }
            res.statusCode = 204;
            res.end();
          },
          () => {
            res.statusCode = 400;
            res.end();
          },
        );
      });
    },
  };

  return {
    plugin,
    errors: (from, to) => errors.filter((e) => e.launch >= from && e.launch <= to).map((e) => `launch ${e.launch}: ${e.message}`),
    onAck(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    acks: (launch) => ackCounts.get(launch) ?? 0,
    found(launch, timeoutMs) {
      const seen = founds.get(launch);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`launch ${launch}: the crash page reported nothing within ${timeoutMs} ms`)), timeoutMs);
        waiting.set(launch, (f) => {
          clearTimeout(timer);
          resolve(f);
        });
      });
    },
  };
}
