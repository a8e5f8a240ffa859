import { keysAndValues, prefixRange, type ReadTx, type WriteTx } from "./db.js";
import type { AgentEventEnvelope } from "../src/types.js";

/**
 * The rows of seed 004's event streams (worker/event-store.ts buffers and orders the calls):
 *   meta   ["e", "turn", threadId, turn] -> TurnRow: events written so far, finished or not
 *   events ["e", threadId, turn, n, k]    -> the envelopes n .. n+k-1 of the turn, as an array:
 *                                          one row per flush, since a row costs far more than
 *                                          a small envelope in it (50 tokens: 1 put, not 50)
 *          ["e", threadId, turn, n]       -> one envelope (the first layout, still read)
 */
export const E = "e";

export interface TurnRow {
  count: number;
  finished: boolean;
}

/** Events of one turn not yet written. */
export interface Pending {
  threadId: string;
  turn: number;
  events: AgentEventEnvelope[];
}

export const turnKey = (thread: string, turn: number) => [E, "turn", thread, turn];
const batchKey = (thread: string, turn: number, n: number, k: number) => [E, thread, turn, n, k];

/** Writes `pending` after the turn's stored events; false when the turn was finished meanwhile. */
export async function writePending(tx: WriteTx, p: Pending, finish: boolean): Promise<boolean> {
  const meta = tx.objectStore("meta");
  const row = (await readTurnRow(tx, p.threadId, p.turn)) ?? { count: 0, finished: false };
  if (row.finished) return false;
  const events = tx.objectStore("events");
  const writes: Promise<unknown>[] = [];
  if (p.events.length > 0) writes.push(events.put(p.events, batchKey(p.threadId, p.turn, row.count, p.events.length)));
  writes.push(meta.put({ count: row.count + p.events.length, finished: finish } satisfies TurnRow, turnKey(p.threadId, p.turn)));
  await Promise.all(writes);
  return true;
}

/** The turn's stored envelopes in order, from rows of either layout. */
export async function storedEvents(tx: ReadTx, thread: string, turn: number): Promise<AgentEventEnvelope[]> {
  const events = tx.objectStore("events");
  const range = prefixRange([E, thread, turn]);
  const { keys, values } = await keysAndValues(events, range);
  return keys.flatMap((key, i) => ((key as IDBValidKey[]).length === 5 ? (values[i] as AgentEventEnvelope[]) : [values[i] as AgentEventEnvelope]));
}

export async function readTurnRow(tx: ReadTx, thread: string, turn: number): Promise<TurnRow | undefined> {
  return (await tx.objectStore("meta").get(turnKey(thread, turn))) as TurnRow | undefined;
}
