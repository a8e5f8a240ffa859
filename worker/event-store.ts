import type { EngineContext } from "./context.js";
import { prefixRange, type ReadTx } from "./db.js";
import { E, readTurnRow, storedEvents, writePending, type Pending, type TurnRow } from "./event-rows.js";
import { StoreError } from "../src/errors.js";
import { assertCount, assertId, assertPlainObject } from "../src/validate.js";
import { createTurnGuard } from "./turn-guard.js";
import type { EventStore, StoredTurnEvents } from "../src/types.js";

/**
 * Seed 004: turn-scoped event streams (their rows: worker/event-rows.ts).
 *
 * append() buffers: an agent streams many small events per turn, and one transaction per token
 * would cost far more than the events themselves. The buffer is written within `flushMs`, and
 * finishTurn() is the barrier: it writes what is left of the turn and the finished mark in one
 * transaction and resolves only after that commits.
 *
 * Calls are admitted in the order they were made, then run on one data queue. Reads then see each
 * buffered event exactly once: either still in the buffer or already committed, never both or
 * neither mid-flush. Waiting for another handle (worker/turn-guard.ts) happens at admission, never
 * on the data queue, so a flush another handle waits for can always run.
 */
export interface EventStoreOptions {
  /** Longest time an appended event stays buffered before it is written. */
  flushMs?: number;
}

export const DEFAULT_EVENT_FLUSH_MS = 50;

const bufferKey = (thread: string, turn: number) => JSON.stringify([thread, turn]);
/** What every bufferKey of the thread starts with: `["<thread>",`. */
const threadKeyPrefix = (thread: string) => `${JSON.stringify([thread]).slice(0, -1)},`;

const turnFinished = (thread: string, turn: number) =>
  new StoreError("TURN_FINISHED", `turn ${turn} of thread "${thread}" is finished; append to a new turn`);

export function createEventStore(
  ctx: EngineContext,
  options: EventStoreOptions = {},
): EventStore & { flushAll(): Promise<void>; close(): void } {
  const { db } = ctx;
  const flushMs = options.flushMs ?? DEFAULT_EVENT_FLUSH_MS;
  const buffer = new Map<string, Pending>();
  const guard = createTurnGuard(db.name, () => flushSoon());
  let data: Promise<unknown> = Promise.resolve();
  let admission: Promise<unknown> = Promise.resolve();
  let timer: ReturnType<typeof setTimeout> | undefined;
  /** Backoff after a failed flush (quota, closed database), so a stuck write is not retried hot. */
  let retryMs = flushMs;

  function onData<T>(op: () => Promise<T>): Promise<T> {
    const result = data.then(op);
    data = result.catch(() => {});
    return result;
  }

  /** Admits calls in the order they were made; `admit` may wait, then hands over the call's outcome. */
  function inOrder<T>(admit: () => Promise<{ result: Promise<T> }>): Promise<T> {
    const admitted = admission.then(admit);
    admission = admitted.then(
      () => {},
      () => {},
    );
    return admitted.then((a) => a.result);
  }

  const buffered = (key: string) => (buffer.get(key)?.events.length ?? 0) > 0;

  function schedule(delay: number): void {
    timer ??= setTimeout(() => {
      timer = undefined;
      void onData(flushBuffered).catch(() => {
        // Kept in the buffer; finishTurn reports the failure to its caller.
        retryMs = Math.min(retryMs * 2, 5000);
        if (buffer.size) schedule(retryMs);
      });
    }, delay);
  }

  /** Another handle waits to finish a turn this one buffers: write now rather than at the timer. */
  function flushSoon(): void {
    if (timer) clearTimeout(timer);
    timer = undefined;
    schedule(0);
  }

  async function flushBuffered(): Promise<void> {
    const batch = [...buffer.values()].filter((p) => p.events.length > 0).map((p) => ({ p, n: p.events.length }));
    if (batch.length === 0) return;
    // Relaxed: buffered events are not a barrier (finishTurn and flush are), and a token stream
    // should not wait for the disk.
    // A turn finished meanwhile (writePending returns false) can only be one another tab finished
    // where locks do not span tabs (no Web Locks API); a finished turn never changes, so its
    // events here are dropped with the rest of the batch's.
    await db.write(
      ["meta", "events"],
      async (tx) => {
        for (const { p, n } of batch) await writePending(tx, { ...p, events: p.events.slice(0, n) }, false);
      },
      "writing buffered events",
      "relaxed",
    );
    retryMs = flushMs;
    batch.forEach(({ p, n }) => {
      p.events.splice(0, n);
      const key = bufferKey(p.threadId, p.turn);
      if (p.events.length === 0) buffer.delete(key);
      guard.releaseIfIdle(key, buffered(key));
    });
    if (buffer.size) schedule(flushMs);
  }

  /** A turn as stored, with what this store still buffers for it appended. */
  async function readTurn(tx: ReadTx, thread: string, turn: number, row: TurnRow | undefined): Promise<StoredTurnEvents | undefined> {
    const stored = row ? await storedEvents(tx, thread, turn) : [];
    const pending = buffer.get(bufferKey(thread, turn))?.events ?? [];
    if (!row && pending.length === 0) return undefined;
    // Copies of the buffered envelopes: on openEngine a caller changing what it read must not change what is flushed.
    return { threadId: thread, turn, events: [...stored, ...pending.map((e) => structuredClone(e))], finished: row?.finished ?? false };
  }

  async function readTurns(thread: string): Promise<StoredTurnEvents[]> {
    return db.read(
      ["meta", "events"],
      async (tx) => {
        const keys = await tx.objectStore("meta").getAllKeys(prefixRange([E, "turn", thread]));
        const numbers = new Set(keys.map((k) => k[3] as number));
        for (const p of buffer.values()) if (p.threadId === thread && p.events.length) numbers.add(p.turn);
        const out: StoredTurnEvents[] = [];
        for (const turn of [...numbers].sort((a, b) => a - b)) {
          const t = await readTurn(tx, thread, turn, await readTurnRow(tx, thread, turn));
          if (t) out.push(t);
        }
        return out;
      },
      "reading turns",
    );
  }

  const read = <T>(op: () => Promise<T>) => inOrder(async () => ({ result: onData(op) }));

  return {
    async append(threadId, turn, envelope) {
      assertId(threadId, "threadId");
      assertCount(turn, "turn");
      assertPlainObject(envelope, "envelope", ctx.limits.eventBytes);
      const key = bufferKey(threadId, turn);
      // A copy: the caller may change its object after append resolves.
      const event = structuredClone(envelope);
      return inOrder(async () => {
        // Holding the turn keeps every other handle from finishing it until this event is written.
        const hold = await guard.reserve(key);
        const result = onData(async () => {
          try {
            if (!hold.checked) {
              // New hold: another handle may have finished the turn since this one last held it.
              const row = await db.read(["meta"], (tx) => readTurnRow(tx, threadId, turn), "appending an event");
              if (row?.finished) throw turnFinished(threadId, turn);
              hold.checked = true;
            }
            let pending = buffer.get(key);
            if (!pending) buffer.set(key, (pending = { threadId, turn, events: [] }));
            pending.events.push(event);
            schedule(flushMs);
          } finally {
            guard.unreserve(key);
            guard.releaseIfIdle(key, buffered(key));
          }
        });
        return { result };
      });
    },

    async finishTurn(threadId, turn) {
      assertId(threadId, "threadId");
      assertCount(turn, "turn");
      const key = bufferKey(threadId, turn);
      return inOrder(async () => {
        // Write what this handle buffers first and let go of its holds: the exclusive wait below
        // then blocks no one, and a failure here leaves the events buffered for a retry.
        await onData(flushBuffered);
        let granted!: () => void;
        const grant = new Promise<void>((resolve) => (granted = resolve));
        let committed: Promise<void> | undefined;
        const held = guard.exclusive(key, () => {
          const op = onData(async () => {
            const pending = buffer.get(key) ?? { threadId, turn, events: [] };
            const n = pending.events.length;
            await db.write(
              ["meta", "events"],
              async (tx) => {
                // Finishing a finished turn again changes nothing and resolves, so a caller that
                // did not hear the first answer (TIMEOUT, WORKER_GONE) can retry the barrier.
                // Events this handle still holds for it could no longer be added: that rejects.
                if (!(await writePending(tx, { ...pending, events: pending.events.slice(0, n) }, true)) && n > 0) throw turnFinished(threadId, turn);
              },
              "finishing a turn",
              "strict",
            );
            // Only now, after the commit: if the write failed, the events stay buffered, not lost.
            pending.events.splice(0, n);
            buffer.delete(key);
          });
          committed = op;
          granted();
          return op;
        });
        // Later calls of this handle are admitted once the finish is queued, so they see it.
        await Promise.race([grant, held.catch(() => {})]);
        // The finish answers once it has committed; the lock is let go of after that, a round
        // trip to the browser's lock manager (1 - 5 ms) that nobody needs to wait for.
        return { result: committed ?? held };
      });
    },

    async getTurn(threadId, turn) {
      assertId(threadId, "threadId");
      assertCount(turn, "turn");
      return read(() =>
        db.read(["meta", "events"], async (tx) => readTurn(tx, threadId, turn, await readTurnRow(tx, threadId, turn)), "reading a turn"),
      );
    },

    async getTurns(threadId) {
      assertId(threadId, "threadId");
      return read(() => readTurns(threadId));
    },

    async getEvents(threadId) {
      assertId(threadId, "threadId");
      return read(async () => (await readTurns(threadId)).flatMap((t) => t.events));
    },

    async clear(threadId) {
      assertId(threadId, "threadId");
      return read(async () => {
        // What this handle buffers of the thread goes, and with it its holds on those turns.
        for (const [key, p] of buffer) {
          if (p.threadId !== threadId) continue;
          buffer.delete(key);
          guard.releaseIfIdle(key, false);
        }
        // Other handles (tabs) may buffer events of the thread whose appends resolved before this
        // call: they write them and let go first, or those events would come back after the
        // clear, written by a flush that found the turn gone.
        const prefix = threadKeyPrefix(threadId);
        await guard.exclusiveWhere((key) => key.startsWith(prefix), () =>
          db.write(
            ["meta", "events"],
            async (tx) => {
              await tx.objectStore("meta").delete(prefixRange([E, "turn", threadId]));
              await tx.objectStore("events").delete(prefixRange([E, threadId]));
            },
            "clearing a thread's events",
          ),
        );
      });
    },

    flushAll() {
      if (timer) clearTimeout(timer);
      timer = undefined;
      return read(flushBuffered);
    },

    close() {
      if (timer) clearTimeout(timer);
      timer = undefined;
      guard.close();
    },
  };
}
