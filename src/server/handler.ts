import type { BaseCheckpointSaver } from "@langchain/langgraph-checkpoint";
import { LIMITS, MEDIA_TYPE, PROTOCOL_VERSION, ProtocolError, decodeEnvelope, encodeEnvelope, type PullResponse, type PushResponse } from "../sync/protocol.js";
import { checkPullRequest, checkPushRequest } from "../sync/wire-check.js";
import { gunzip, gzip, readLimited } from "../sync/gzip.js";
import { applyCalls, decodeChanges } from "./apply.js";
import { PullEncoder } from "./read.js";
import type { ChangeFeed, FeedEntry } from "./feed.js";

/** Who is calling and which threads it may touch; the handler refuses everything else. */
export interface SyncCaller {
  /** For logs and the app's own use; the handler does not interpret it. */
  id: string;
  canRead(threadId: string): boolean;
  canWrite(threadId: string): boolean;
}

export interface SyncHandlerOptions {
  /** Any LangGraph checkpointer; tested on PostgresSaver and MemorySaver. */
  saver: BaseCheckpointSaver;
  /** Where pulls read what changed: postgresChangeFeed(pool) for PostgresSaver, watchSaver(saver) otherwise. */
  feed: ChangeFeed;
  /**
   * Decides the caller from the request (a bearer token, a session cookie): undefined or null
   * answers 401 before the body is read. Called for every request; tokens are the app's business.
   */
  authorize(request: Request): Promise<SyncCaller | null | undefined> | SyncCaller | null | undefined;
  /** Largest gzip body read (bytes); larger ones get 413. */
  maxBodyBytes?: number;
  /** Largest body once inflated (bytes); larger ones get 413. */
  maxInflatedBytes?: number;
  /** Most changes in one push (413 above) and in one pull response. */
  maxChanges?: number;
  maxPullChanges?: number;
  /**
   * Origins allowed to call from a page on another origin ("https://app.example"), answered to
   * CORS preflights; absent: same-origin only (no CORS headers).
   */
  allowOrigin?: string | string[];
  /** Told about failures of the saver or feed (the response only says 503). */
  onError?(error: unknown): void;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The server side of sync as a fetch-standard handler: `POST <base>/push` and `POST <base>/pull`,
 * bodies as protocol.ts describes. Mount it under any path in Node's http server, Hono, Deno or
 * a worker runtime. A push is checked whole (shape, delta bases, deserialization, the caller's
 * right to write every thread) before its first change is applied.
 */
export function createSyncHandler(options: SyncHandlerOptions): (request: Request) => Promise<Response> {
  const { saver, feed } = options;
  const maxBody = options.maxBodyBytes ?? LIMITS.maxBodyBytes;
  const maxInflated = options.maxInflatedBytes ?? LIMITS.maxInflatedBytes;
  const maxChanges = options.maxChanges ?? LIMITS.maxChanges;
  const maxPull = options.maxPullChanges ?? LIMITS.maxPullChanges;

  async function body(request: Request): Promise<unknown> {
    const type = request.headers.get("content-type") ?? "";
    if (type.split(";")[0].trim() !== MEDIA_TYPE) throw new HttpError(415, `content-type must be ${MEDIA_TYPE}`);
    const length = Number(request.headers.get("content-length") ?? "0");
    if (length > maxBody) throw new ProtocolError(`body is larger than ${maxBody} bytes`, true);
    if (!request.body) throw new ProtocolError("no body");
    const encoding = (request.headers.get("content-encoding") ?? "identity").trim().toLowerCase();
    if (encoding !== "gzip" && encoding !== "identity") throw new HttpError(415, "content-encoding must be gzip or identity");
    const raw = await readLimited(request.body, encoding === "gzip" ? maxBody : Math.min(maxBody, maxInflated));
    return decodeEnvelope(encoding === "gzip" ? await gunzip(raw, maxInflated) : raw);
  }

  async function reply(message: PushResponse | PullResponse, request: Request): Promise<Response> {
    const bytes = encodeEnvelope(message);
    const zipped = /\bgzip\b/.test(request.headers.get("accept-encoding") ?? "");
    return new Response((zipped ? await gzip(bytes) : bytes) as Uint8Array<ArrayBuffer>, {
      status: 200,
      headers: { "content-type": MEDIA_TYPE, "cache-control": "no-store", ...(zipped ? { "content-encoding": "gzip" } : {}) },
    });
  }

  async function push(request: Request, caller: SyncCaller): Promise<Response> {
    const message = checkPushRequest(await body(request));
    if (message.changes.length > maxChanges) throw new ProtocolError(`a push holds at most ${maxChanges} changes`, true);
    const denied = message.changes.find((c) => !caller.canWrite(c.threadId));
    if (denied) throw new HttpError(403, `not allowed to write thread ${JSON.stringify(denied.threadId)}`);
    const calls = await decodeChanges(saver.serde, message.changes);
    await stored(() => applyCalls(saver, calls));
    return reply({ protocol: PROTOCOL_VERSION, applied: calls.length }, request);
  }

  async function pull(request: Request, caller: SyncCaller): Promise<Response> {
    const message = checkPullRequest(await body(request));
    const threads = message.threads && new Set(message.threads);
    for (const t of threads ?? []) if (!caller.canRead(t)) throw new HttpError(403, `not allowed to read thread ${JSON.stringify(t)}`);
    const limit = Math.min(message.limit ?? maxPull, maxPull);
    const encoder = new PullEncoder(saver, new Set(message.known ?? []));
    let cursor = message.cursor;
    let more = true;
    // Entries of threads the caller may not read are stepped over, but a pull reads a bounded
    // number of them, so one response never walks the whole feed.
    for (let scanned = 0; scanned < limit * 20 && encoder.changes.length < limit; ) {
      const entries: FeedEntry[] = await stored(() => feed.read(cursor, Math.min(limit, 500)));
      if (entries.length === 0) {
        more = false;
        break;
      }
      for (const e of entries) {
        scanned++;
        if (caller.canRead(e.threadId) && (!threads || threads.has(e.threadId))) await stored(() => encoder.add(e));
        cursor = e.cursor;
        if (encoder.changes.length >= limit) break;
      }
    }
    return reply({ protocol: PROTOCOL_VERSION, changes: encoder.changes, cursor: cursor ?? "0", more }, request);
  }

  /** A failure of the saver or the feed is the server's (503, try again), not the caller's. */
  async function stored<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof ProtocolError || e instanceof HttpError) throw e;
      options.onError?.(e);
      throw new HttpError(503, "storage failed; try again");
    }
  }

  const origins = options.allowOrigin === undefined ? [] : [options.allowOrigin].flat();
  const cors = (request: Request): Record<string, string> => {
    const origin = request.headers.get("origin");
    return origin && origins.includes(origin) ? { "access-control-allow-origin": origin, vary: "origin" } : {};
  };

  const handle = async (request: Request): Promise<Response> => {
    try {
      if (request.method === "OPTIONS" && origins.length > 0) {
        return new Response(null, {
          status: 204,
          headers: {
            "access-control-allow-methods": "POST",
            "access-control-allow-headers": "authorization, content-type, content-encoding",
            "access-control-max-age": "600",
          },
        });
      }
      if (request.method !== "POST") throw new HttpError(405, "use POST");
      const path = new URL(request.url).pathname;
      const route = path.endsWith("/push") ? push : path.endsWith("/pull") ? pull : undefined;
      if (!route) throw new HttpError(404, "no such sync route (push, pull)");
      const caller = await options.authorize(request);
      if (!caller) throw new HttpError(401, "not authorized");
      return await route(request, caller);
    } catch (e) {
      const [status, message] =
        e instanceof HttpError ? [e.status, e.message] : e instanceof ProtocolError ? [e.tooLarge ? 413 : 400, e.message] : [500, "internal error"];
      if (status === 500) options.onError?.(e);
      // A body left unread would keep the connection busy; the client is told to stop sending.
      request.body?.cancel().catch(() => {});
      return Response.json({ error: message }, { status, headers: { "cache-control": "no-store" } });
    }
  };
  return async (request) => {
    const response = await handle(request);
    for (const [k, v] of Object.entries(cors(request))) response.headers.set(k, v);
    return response;
  };
}
