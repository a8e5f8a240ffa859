import type { EngineContext } from "./context.js";
import { prefixRange, type ReadTx, type WriteTx } from "./db.js";
import { StoreError } from "../src/errors.js";
import { assertCount, assertId, assertPlainObject } from "../src/validate.js";
import type { AgentEventEnvelope, EventStore, StoredTurnEvents } from "../src/types.js";

/**
 * Seed 004: turn-scoped event streams. Rows:
 *   meta   ["e", "turn", threadId, turn] -> TurnRow: events written so far, finished or not
 *   events ["e", threadId, turn, n]       -> one envelope; n counts 0, 1, 2 ... per turn
 *
 * append() buffers: an agent streams many small events per turn, and one transaction per token
 * would cost far more than the events themselves. The buffer is written within `flushMs`, and
 * finishTurn() is the barrier: it writes what is left of the turn and the finished mark in one
 * transaction and resolves only after that commits.
 *
 * Every operation of this store runs on one queue. Reads then see each buffered event exactly
 * once: either still in the buffer or already committed, never both or neither mid-flush.
 */
const E = "e";

interface TurnRow {
  count: number;
  finished: boolean;
}

interface Pending {
  threadId: string;
  turn: number;
  events: AgentEventEnvelope[];
}

export interface EventStoreOptions {
  /** Longest time an appended event stays buffered before it is written. */
  flushMs?: number;
}

export const DEFAULT_EVENT_FLUSH_MS = 50;

const turnKey = (thread: string, turn: number) => [E, "turn", thread, turn];
const eventKey = (thread: string, turn: number, n: number) => [E, thread, turn, n];
const bufferKey = (thread: string, turn: number) => JSON.stringify([thread, turn]);

const turnFinished = (thread: string, turn: number) =>
  new StoreError("TURN_FINISHED", `turn ${turn} of thread "${thread}" is finished; append to a new turn`);

export function createEventStore(ctx: EngineContext, options: EventStoreOptions = {}): EventStore & { flushAll(): Promise<void> } {
  const { db } = ctx;
  const flushMs = options.flushMs ?? DEFAULT_EVENT_FLUSH_MS;
  const buffer = new Map<string, Pending>();
  /** Turns known to be open in the database, so appends after the first need no read. */
  const open = new Set<string>();
  let queue: Promise<unknown> = Promise.resolve();
  let timer: ReturnType<typeof setTimeout> | undefined;
  /** Backoff after a failed flush (quota, closed database), so a stuck write is not retried hot. */
  let retryMs = flushMs;

  function enqueue<T>(op: () => Promise<T>): Promise<T> {
    const result = queue.then(op);
    queue = result.catch(() => {});
    return result;
  }

  function schedule(delay: number): void {
    timer ??= setTimeout(() => {
      timer = undefined;
      void enqueue(flushBuffered).catch(() => {
        // Kept in the buffer; finishTurn reports the failure to its caller.
        retryMs = Math.min(retryMs * 2, 5000);
        if (buffer.size) schedule(retryMs);
      });
    }, delay);
  }

  /** Writes `pending` after the turn's stored events; false when the turn was finished meanwhile. */
  async function writePending(tx: WriteTx, p: Pending, finish: boolean): Promise<boolean> {
    const meta = tx.objectStore("meta");
    const row = ((await meta.get(turnKey(p.threadId, p.turn))) as TurnRow | undefined) ?? { count: 0, finished: false };
    if (row.finished) return false;
    const events = tx.objectStore("events");
    for (let i = 0; i < p.events.length; i++) await events.put(p.events[i], eventKey(p.threadId, p.turn, row.count + i));
    await meta.put({ count: row.count + p.events.length, finished: finish } satisfies TurnRow, turnKey(p.threadId, p.turn));
    return true;
  }

  async function flushBuffered(): Promise<void> {
    const batch = [...buffer.values()].filter((p) => p.events.length > 0).map((p) => ({ p, n: p.events.length }));
    if (batch.length === 0) return;
    const written = await db.write(["meta", "events"], async (tx) => {
      const ok: boolean[] = [];
      for (const { p, n } of batch) ok.push(await writePending(tx, { ...p, events: p.events.slice(0, n) }, false));
      return ok;
    }, "writing buffered events");
    retryMs = flushMs;
    batch.forEach(({ p, n }, i) => {
      p.events.splice(0, n);
      if (!written[i]) {
        // Another tab finished this turn while its events sat here. A finished turn never
        // changes, so these events are dropped even though their append resolved: append is
        // not durable, finishTurn is, and it was the other tab's. Later appends here reject.
        open.delete(bufferKey(p.threadId, p.turn));
      }
      if (p.events.length === 0) buffer.delete(bufferKey(p.threadId, p.turn));
    });
    if (buffer.size) schedule(flushMs);
  }

  async function readTurnRow(tx: ReadTx, thread: string, turn: number): Promise<TurnRow | undefined> {
    return (await tx.objectStore("meta").get(turnKey(thread, turn))) as TurnRow | undefined;
  }

  /** A turn as stored, with what this store still buffers for it appended. */
  async function readTurn(tx: ReadTx, thread: string, turn: number, row: TurnRow | undefined): Promise<StoredTurnEvents | undefined> {
    const stored = row ? ((await tx.objectStore("events").getAll(prefixRange([E, thread, turn]))) as AgentEventEnvelope[]) : [];
    const buffered = buffer.get(bufferKey(thread, turn))?.events ?? [];
    if (!row && buffered.length === 0) return undefined;
    return { threadId: thread, turn, events: [...stored, ...buffered], finished: row?.finished ?? false };
  }

  async function readTurns(thread: string): Promise<StoredTurnEvents[]> {
    const turns = await db.read(["meta", "events"], async (tx) => {
      const keys = await tx.objectStore("meta").getAllKeys(prefixRange([E, "turn", thread]));
      const numbers = new Set(keys.map((k) => k[3] as number));
      for (const p of buffer.values()) if (p.threadId === thread && p.events.length) numbers.add(p.turn);
      const out: StoredTurnEvents[] = [];
      for (const turn of [...numbers].sort((a, b) => a - b)) {
        const t = await readTurn(tx, thread, turn, await readTurnRow(tx, thread, turn));
        if (t) out.push(t);
      }
      return out;
    }, "reading turns");
    return turns;
  }

  return {
    async append(threadId, turn, envelope) {
      assertId(threadId, "threadId");
      assertCount(turn, "turn");
      assertPlainObject(envelope, "envelope");
      const key = bufferKey(threadId, turn);
      // A copy: the caller may change its object after append resolves.
      const event = structuredClone(envelope);
      await enqueue(async () => {
        if (!open.has(key)) {
          const row = await db.read(["meta"], (tx) => readTurnRow(tx, threadId, turn), "appending an event");
          if (row?.finished) throw turnFinished(threadId, turn);
          open.add(key);
        }
        let pending = buffer.get(key);
        if (!pending) buffer.set(key, (pending = { threadId, turn, events: [] }));
        pending.events.push(event);
        schedule(flushMs);
      });
    },

    async finishTurn(threadId, turn) {
      assertId(threadId, "threadId");
      assertCount(turn, "turn");
      const key = bufferKey(threadId, turn);
      await enqueue(async () => {
        const pending = buffer.get(key) ?? { threadId, turn, events: [] };
        const n = pending.events.length;
        await db.write(
          ["meta", "events"],
          async (tx) => {
            // Finishing a finished turn again is a no-op: the barrier it asks for already holds.
            if (!(await writePending(tx, { ...pending, events: pending.events.slice(0, n) }, true)) && n > 0) {
              throw turnFinished(threadId, turn);
            }
          },
          "finishing a turn",
        );
        // Only now, after the commit: if the write failed, the events stay buffered, not lost.
        pending.events.splice(0, n);
        buffer.delete(key);
        open.delete(key);
      });
    },

    async getTurn(threadId, turn) {
      assertId(threadId, "threadId");
      assertCount(turn, "turn");
      return enqueue(() =>
        db.read(["meta", "events"], async (tx) => readTurn(tx, threadId, turn, await readTurnRow(tx, threadId, turn)), "reading a turn"),
      );
    },

    async getTurns(threadId) {
      assertId(threadId, "threadId");
      return enqueue(() => readTurns(threadId));
    },

    async getEvents(threadId) {
      assertId(threadId, "threadId");
      return enqueue(async () => (await readTurns(threadId)).flatMap((t) => t.events));
    },

    async clear(threadId) {
      assertId(threadId, "threadId");
      await enqueue(async () => {
        await db.write(
          ["meta", "events"],
          async (tx) => {
            await tx.objectStore("meta").delete(prefixRange([E, "turn", threadId]));
            await tx.objectStore("events").delete(prefixRange([E, threadId]));
          },
          "clearing a thread's events",
        );
        for (const [key, p] of buffer) if (p.threadId === threadId) buffer.delete(key);
        for (const key of open) if ((JSON.parse(key) as [string, number])[0] === threadId) open.delete(key);
      });
    },

    flushAll() {
      if (timer) clearTimeout(timer);
      timer = undefined;
      return enqueue(flushBuffered);
    },
  };
}
