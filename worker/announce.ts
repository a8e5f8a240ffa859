import { changeChannelName, engineLockPrefix, WRITE_METHODS, type ChangeMessage, type ChangedStore, type FlushRequest, type FlushedMessage } from "../src/changes/index.js";
import type { Stores } from "../src/types.js";
import { lockManager, locksSpanTabs } from "../src/locks.js";

/**
 * Announces every committed write of an engine on the database's BroadcastChannel, so pages of
 * this tab and of every other one can redraw (src/changes/subscribe.ts listens). The wrapped
 * method announces only after its promise resolved, which every store resolves after its
 * transaction committed; a failed call announces nothing.
 */
export interface Announcer {
  /** This engine's id on the channel: tells a page which changes its own store made. */
  readonly source: string;
  /** Wraps the stores given (any of them: the engine builds some on first use). */
  wrap<S extends Partial<Omit<Stores, "close" | "flush">>>(stores: S): S;
  close(): void;
}

export interface AnnouncerOptions {
  /** Writes the engine's buffered events; run when a flush request arrives on the channel. */
  flush?: () => Promise<void>;
}

export function createAnnouncer(storeName: string, options: AnnouncerOptions = {}): Announcer {
  const source = typeof crypto?.randomUUID === "function" ? crypto.randomUUID() : `${Date.now()}-${Math.random()}`;
  let channel: BroadcastChannel | undefined;
  if (typeof BroadcastChannel === "function") {
    channel = new BroadcastChannel(changeChannelName(storeName));
    // Node keeps its process alive while a channel is open; an announcer must not.
    (channel as unknown as { unref?: () => void }).unref?.();
  }
  // Present while open: a flush request learns from the lock how many engines must answer.
  let leave: (() => void) | undefined;
  let closed = false;
  // Aborted by close(): a request still waiting is withdrawn, so an engine that closed (or whose
  // open failed) is never granted the lock afterwards, not even for a moment.
  const withdraw = typeof AbortController === "function" ? new AbortController() : undefined;
  if (channel && options.flush && locksSpanTabs()) {
    void lockManager()
      .request(engineLockPrefix(storeName) + source, { signal: withdraw?.signal }, () => (closed ? Promise.resolve() : new Promise<void>((r) => (leave = r))))
      .catch(() => {});
    channel.onmessage = (event: MessageEvent) => {
      const request = event.data as Partial<FlushRequest> | null;
      if (request?.kind !== "idb-checkpoint:flush" || typeof request.id !== "string") return;
      const id = request.id;
      // The notices of what the flush wrote go out before its answer.
      options.flush!().then(
        () => (sendNow(), post({ kind: "idb-checkpoint:flushed", id, source })),
        (e: unknown) => (sendNow(), post({ kind: "idb-checkpoint:flushed", id, source, error: e instanceof Error ? e.message : String(e) })),
      );
    };
  }
  const post = (message: ChangeMessage | FlushedMessage) => {
    try {
      channel?.postMessage(message);
    } catch {
      // Closed meanwhile: the engine is closing, nobody is left to tell.
    }
  };
  // Change notices go out in a task after the call has answered: posting one costs about as much
  // as a small put (0.2 ms in Chromium), which the caller need not wait for. close() sends those
  // still waiting.
  let waiting: ChangeMessage[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  const sendWaiting = () => {
    timer = undefined;
    const messages = waiting;
    waiting = [];
    for (const message of messages) post(message);
  };
  const sendNow = () => {
    clearTimeout(timer);
    sendWaiting();
  };
  const announce = (message: ChangeMessage) => {
    waiting.push(message);
    timer ??= setTimeout(sendWaiting, 0);
  };
  return {
    source,
    wrap<S extends Partial<Omit<Stores, "close" | "flush">>>(stores: S): S {
      if (!channel) return stores;
      const wrapped: Record<string, unknown> = { ...stores };
      for (const store of Object.keys(WRITE_METHODS) as ChangedStore[]) {
        const target = stores[store] as unknown as Record<string, (...args: unknown[]) => Promise<unknown>> | undefined;
        if (!target) continue;
        const copy: Record<string, unknown> = Object.create(Object.getPrototypeOf(target));
        Object.assign(copy, target);
        for (const [method, describe] of Object.entries(WRITE_METHODS[store])) {
          const original = target[method];
          if (typeof original !== "function") continue;
          copy[method] = async (...args: unknown[]) => {
            const result = await original.apply(target, args);
            announce({ kind: "idb-checkpoint:change", source, change: { store, method, ...describe(args), at: Date.now() } });
            return result;
          };
        }
        wrapped[store] = copy;
      }
      return wrapped as S;
    },
    close() {
      closed = true;
      withdraw?.abort();
      sendNow();
      channel?.close();
      channel = undefined;
      leave?.();
    },
  };
}
