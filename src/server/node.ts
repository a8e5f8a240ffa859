import type { IncomingMessage, ServerResponse } from "node:http";

/**
 * Serves a fetch-standard handler from Node's http server:
 * `http.createServer(nodeListener(createSyncHandler(...)))`. Bodies stream both ways; a request
 * body the handler stopped reading (too large, refused) is not drained: once the answer is out,
 * the connection is closed.
 */
export function nodeListener(handler: (request: Request) => Promise<Response>): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const url = new URL(req.url ?? "/", `http://${req.headers.host ?? "localhost"}`);
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) {
      if (Array.isArray(v)) for (const x of v) headers.append(k, x);
      else if (v !== undefined) headers.set(k, v);
    }
    const hasBody = req.method !== "GET" && req.method !== "HEAD" && req.method !== "OPTIONS";
    let cancelled = false;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        req.on("data", (chunk: Buffer) => {
          if (cancelled) return;
          controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
          if ((controller.desiredSize ?? 1) <= 0) req.pause();
        });
        req.on("end", () => !cancelled && controller.close());
        req.on("error", (e) => !cancelled && controller.error(e));
      },
      pull() {
        req.resume();
      },
      cancel() {
        cancelled = true;
        req.pause();
      },
    }, { highWaterMark: 4 });
    const request = new Request(url, { method: req.method, headers, ...(hasBody ? { body, duplex: "half" } : {}) } as RequestInit);
    const finish = () => {
      // Whatever the client still sends is not read: close rather than drain it.
      if (!req.complete) req.socket.destroy();
    };
    handler(request)
      .then(async (response) => {
        res.writeHead(response.status, Object.fromEntries(response.headers));
        if (response.body) for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) res.write(chunk);
        res.end(finish);
      })
      .catch(() => {
        if (!res.headersSent) res.writeHead(500);
        res.end(finish);
      });
  };
}
