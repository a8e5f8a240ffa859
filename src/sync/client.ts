import { MEDIA_TYPE, PROTOCOL_VERSION, decodeEnvelope, encodeEnvelope, type PullRequest, type PushRequest } from "./protocol.js";
import { checkPullResponse } from "./wire-check.js";
import { gzip } from "./gzip.js";
import { applyChanges } from "./apply.js";
import type { SaverSync } from "./store-types.js";

export type SyncState = "idle" | "syncing" | "synced" | "pending" | "offline" | "refused";

export interface SyncOptions {
  /** A store from openStore (or an engine from openEngine). */
  store: { readonly sync: SaverSync };
  /** Base URL of the server's handler: `${url}/push` and `${url}/pull`. */
  url: string | URL;
  /** Headers for each request (a fresh token each time: tokens expire). */
  headers?: () => Record<string, string> | Promise<Record<string, string>>;
  /** Threads to sync (read at each cycle); absent: every thread the server lets this caller read. */
  threads?: string[] | (() => string[]);
  /** Time between cycles of the loop `start()` runs. */
  intervalMs?: number;
  /** Longest wait between retries while offline or refused. */
  maxBackoffMs?: number;
  /** A batch of a push stops after about this many bytes of values. */
  batchBytes?: number;
  batchChanges?: number;
  /** Most changes asked for in one pull response (the server caps it too). */
  pullLimit?: number;
  /** Names this client's cursors in the store, when one store syncs with several servers. */
  name?: string;
  fetch?: typeof fetch;
}

export interface SyncProgress {
  phase: "push" | "pull";
  /** Changes sent or applied so far in this phase. */
  changes: number;
  /** Log rows still to push (push), or whether the server has more (pull). */
  remaining: number;
}

export interface SyncResult {
  pushed: number;
  pulled: number;
  /** Threads that pulled changes touched: what an app shows again. */
  threads: string[];
}

/** A refusal from the server (401, 403, 400, 413) or a failure on the way there. */
export class SyncError extends Error {
  override readonly name = "SyncError";
  constructor(
    message: string,
    /** HTTP status; 0 when the request did not get an answer. */
    readonly status: number,
  ) {
    super(message);
  }
  get offline(): boolean {
    return this.status === 0 || this.status >= 500 || this.status === 408 || this.status === 429;
  }
}

/**
 * Syncs a store's LangGraph threads with a server running `idb-checkpoint/server`. The app keeps
 * saving to IndexedDB as it always does; sync reads the saver's change log on its own time.
 * Events: "state" (detail: { state, error? }), "progress" (detail: SyncProgress), "change"
 * (detail: { threads }) after pulled changes were stored.
 */
export class SyncClient extends EventTarget {
  state: SyncState = "idle";
  lastError: SyncError | undefined;
  /** Bytes of request bodies sent (gzip) and response bodies received (as fetch hands them over). */
  readonly bytes = { sent: 0, received: 0 };
  private readonly sync: SaverSync;
  private readonly base: string;
  private readonly doFetch: typeof fetch;
  private readonly name: string;
  /** Checkpoint ids pushed since the last pull: the pull need not bring them back. */
  private readonly pushedIds = new Set<string>();
  private running: Promise<SyncResult> | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private started = false;
  private failures = 0;
  private enabled: Promise<void> | undefined;

  constructor(private readonly options: SyncOptions) {
    super();
    if (!options?.store?.sync) throw new TypeError("createSync needs a store from openStore or openEngine");
    this.sync = options.store.sync;
    this.base = String(options.url).replace(/\/+$/, "");
    this.doFetch = options.fetch ?? ((...a) => fetch(...a));
    this.name = options.name ?? "default";
  }

  private setState(state: SyncState, error?: SyncError): void {
    this.lastError = error;
    if (state === this.state && !error) return;
    this.state = state;
    this.dispatchEvent(new CustomEvent("state", { detail: { state, error } }));
  }

  private threads(): string[] | undefined {
    const t = this.options.threads;
    return typeof t === "function" ? t() : t;
  }

  private async post(route: "push" | "pull", message: PushRequest | PullRequest): Promise<unknown> {
    const body = await gzip(encodeEnvelope(message));
    const headers = { "content-type": MEDIA_TYPE, "content-encoding": "gzip", ...(await this.options.headers?.()) };
    let response: Response;
    try {
      response = await this.doFetch(`${this.base}/${route}`, { method: "POST", headers, body: body as Uint8Array<ArrayBuffer> });
    } catch (e) {
      throw new SyncError(`${route}: no answer (${e instanceof Error ? e.message : String(e)})`, 0);
    }
    this.bytes.sent += body.length;
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await response.arrayBuffer());
    } catch (e) {
      throw new SyncError(`${route}: the answer broke off (${e instanceof Error ? e.message : String(e)})`, 0);
    }
    this.bytes.received += bytes.length;
    if (!response.ok) {
      let reason = "";
      try {
        reason = (JSON.parse(new TextDecoder().decode(bytes)) as { error?: string }).error ?? "";
      } catch {
        // not our server's error body
      }
      throw new SyncError(`${route}: ${response.status} ${reason}`.trim(), response.status);
    }
    try {
      return decodeEnvelope(bytes);
    } catch (e) {
      throw new SyncError(`${route}: unreadable answer (${e instanceof Error ? e.message : String(e)})`, 0);
    }
  }

  private mark = (what: string) => `${this.name}:${what}`;

  /** Sends what this device logged since its last acknowledged push, batch by batch. */
  async push(): Promise<number> {
    await (this.enabled ??= this.sync.enable());
    let after = Number((await this.sync.getMark(this.mark("pushed"))) ?? 0);
    let sent = 0;
    for (;;) {
      const batch = await this.sync.exportChanges({
        after,
        maxChanges: this.options.batchChanges ?? 500,
        maxBytes: this.options.batchBytes ?? 4 * 1024 * 1024,
        threads: this.threads(),
      });
      if (batch.changes.length > 0) await this.post("push", { protocol: PROTOCOL_VERSION, changes: batch.changes });
      for (const c of batch.changes) if (c.kind === "checkpoint") this.pushedIds.add(c.checkpointId);
      sent += batch.changes.length;
      // Only after the server acknowledged: a push cut off before this is sent again (and the
      // server stores a checkpoint once however often it arrives).
      if (batch.last > after) {
        await this.sync.setMark(this.mark("pushed"), batch.last);
        await this.sync.trim(batch.last);
        after = batch.last;
      }
      this.dispatchEvent(new CustomEvent("progress", { detail: { phase: "push", changes: sent, remaining: batch.more ? await this.sync.pendingCount(after) : 0 } satisfies SyncProgress }));
      if (!batch.more) return sent;
    }
  }

  /** Stores what the server has after this device's cursor, response by response. */
  async pull(): Promise<{ pulled: number; threads: Set<string> }> {
    let cursor = (await this.sync.getMark(this.mark("cursor"))) as string | undefined;
    let pulled = 0;
    const threads = new Set<string>();
    for (;;) {
      const threadList = this.threads();
      const request: PullRequest = { protocol: PROTOCOL_VERSION, ...(cursor !== undefined ? { cursor } : {}), ...(threadList ? { threads: threadList } : {}) };
      if (this.pushedIds.size > 0) request.known = [...this.pushedIds];
      if (this.options.pullLimit !== undefined) request.limit = this.options.pullLimit;
      const response = checkPullResponse(await this.post("pull", request));
      for (const t of await applyChanges(this.sync, response.changes)) threads.add(t);
      pulled += response.changes.length;
      // After the changes are stored: a pull cut off before this repeats from the old cursor.
      await this.sync.setMark(this.mark("cursor"), response.cursor);
      cursor = response.cursor;
      this.dispatchEvent(new CustomEvent("progress", { detail: { phase: "pull", changes: pulled, remaining: response.more ? 1 : 0 } satisfies SyncProgress }));
      if (!response.more) {
        this.pushedIds.clear();
        return { pulled, threads };
      }
    }
  }

  /**
   * One cycle: pull first (a thread deleted elsewhere goes before this device would push more of
   * it), then push. Concurrent calls share one cycle.
   */
  syncNow(): Promise<SyncResult> {
    this.running ??= (async () => {
      this.setState("syncing");
      try {
        const { pulled, threads } = await this.pull();
        const pushed = await this.push();
        if (threads.size > 0) this.dispatchEvent(new CustomEvent("change", { detail: { threads: [...threads] } }));
        this.failures = 0;
        this.setState((await this.sync.pendingCount(Number((await this.sync.getMark(this.mark("pushed"))) ?? 0))) > 0 ? "pending" : "synced");
        return { pushed, pulled, threads: [...threads] };
      } catch (e) {
        const error = e instanceof SyncError ? e : new SyncError(e instanceof Error ? e.message : String(e), 0);
        this.failures++;
        this.setState(error.offline ? "offline" : "refused", error);
        throw error;
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }

  /** Syncs now and then every intervalMs; after failures, waits longer each time (up to maxBackoffMs). */
  start(): void {
    if (this.started) return;
    this.started = true;
    globalThis.addEventListener?.("online", this.onOnline);
    void this.tick();
  }

  stop(): void {
    this.started = false;
    globalThis.removeEventListener?.("online", this.onOnline);
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private onOnline = () => {
    if (this.timer !== undefined) clearTimeout(this.timer);
    void this.tick();
  };

  private async tick(): Promise<void> {
    this.timer = undefined;
    if (!this.started) return;
    await this.syncNow().catch(() => {});
    if (!this.started) return;
    const interval = this.options.intervalMs ?? 5_000;
    const max = this.options.maxBackoffMs ?? 60_000;
    // Exponential back-off with jitter, so devices that went offline together do not return together.
    const wait = this.failures === 0 ? interval : Math.min(max, interval * 2 ** Math.min(this.failures - 1, 16)) * (0.5 + Math.random() / 2);
    this.timer = setTimeout(() => void this.tick(), wait);
  }
}

export function createSync(options: SyncOptions): SyncClient {
  return new SyncClient(options);
}
