import { prefixRange, settled, type Key, type WriteTx } from "./db.js";

/**
 * The saver's change log, for sync: every put, putWrites and deleteThread made on this device
 * adds a row in its own transaction, under a sequence number that only grows. Changes applied
 * from a server are not logged (they need not go back). The log is off until a sync client
 * enables it (row 0), so an app that never syncs writes no log rows:
 *   ["y","cl",seq]   [kind, thread, ns, checkpoint id]   kind: "checkpoint" | "writes" | "tombstone"
 *   ["y","mk",name]  a sync client's own marks (pushed seq, server cursor)
 */
export const Y = "y";
export const logKey = (seq: number): Key => [Y, "cl", seq];
export const markKey = (name: string): Key => [Y, "mk", name];
export const logRange = (after: number): IDBKeyRange => IDBKeyRange.bound([Y, "cl", after], [Y, "cl", Infinity], true, false);

export type LoggedChange = ["checkpoint" | "writes", string, string, string] | ["tombstone", string];

/** Where a saver's writes come from: this device's app, or a server's copy being applied. */
export type ChangeOrigin = "local" | "remote";

/**
 * The next free sequence number of each transaction's log: several changes in one transaction
 * (a batch) read the last row once and number on from it, instead of each reading the same last
 * row and writing over one another.
 */
const nextSeq = new WeakMap<object, Promise<number | undefined>>();

/** Appends `change` to the log inside `tx` when sync is on. Additive to the write it describes. */
export function logChange(tx: WriteTx, origin: ChangeOrigin | undefined, change: LoggedChange): void {
  if (origin === "remote") return;
  const meta = tx.objectStore("meta");
  const previous = nextSeq.get(tx) ?? meta.openKeyCursor(prefixRange([Y, "cl"]), "prev").then((cursor) => (cursor ? (cursor.key[2] as number) + 1 : undefined));
  // undefined: sync never enabled on this database.
  const seq = previous.then((n) => n);
  nextSeq.set(tx, seq.then((n) => (n === undefined ? undefined : n + 1)));
  settled(seq.then((n) => (n === undefined ? undefined : meta.put(change, logKey(n)))));
}
