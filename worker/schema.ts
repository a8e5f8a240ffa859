import { unwrap, type DBSchema, type IDBPDatabase, type IDBPTransaction, type StoreNames } from "idb";

/**
 * The database: one per store name, three object stores.
 *   blobs  - payload bytes, owned by worker/payload/ alone
 *   meta   - every header and index row; keys are arrays whose first element names the contract
 *            and row kind (see each store file), so one range scan reads one thread, run or trace
 *   events - event rows of seed 004 turns and seed 002 runs, keyed the same way
 */
export type Key = IDBValidKey[];

export interface Schema extends DBSchema {
  blobs: { key: string; value: unknown };
  meta: { key: Key; value: any };
  events: { key: Key; value: any };
}

export type StoreName = StoreNames<Schema>;
export type Tx<Mode extends IDBTransactionMode = IDBTransactionMode> = IDBPTransaction<Schema, StoreName[], Mode>;
export type ReadTx = Tx<"readonly"> | Tx<"readwrite">;
export type WriteTx = Tx<"readwrite">;

export const SCHEMA_VERSION = 1;

/** Each step upgrades from the version before it; never edit a step that has shipped. */
export const MIGRATIONS: Array<(db: IDBPDatabase<Schema>) => void> = [
  // 0 -> 1
  (db) => {
    db.createObjectStore("blobs");
    db.createObjectStore("meta");
    db.createObjectStore("events");
  },
];

/** Upper bound for a prefix range: arrays sort after every other key type. */
export const MAX_KEY: IDBValidKey = [[]];

/**
 * A write request nobody needs to wait for: the transaction commits only after every request,
 * and a failed one aborts it, which `Database.write` reports. Waiting would hold back the
 * requests that come after it by a round trip.
 */
export function settled(request: Promise<unknown>): void {
  request.catch(() => {});
}

export function prefixRange(prefix: Key): IDBKeyRange {
  return IDBKeyRange.bound(prefix, [...prefix, MAX_KEY]);
}

/**
 * Adds `value` under `key` unless a row is there: true when added, false when the key was taken.
 * One request where a read and then a write are two (each request is a round trip to the
 * browser's database process). The refused add's error is stopped at the request, so the
 * transaction goes on; any other error fails the transaction as a failed write does.
 */
export function addIfAbsent(tx: WriteTx, store: "meta" | "blobs", value: unknown, key: Key): Promise<boolean> {
  const raw = unwrap(tx.objectStore(store)) as IDBObjectStore;
  return new Promise((resolve, reject) => {
    const request = raw.add(value, key);
    request.onsuccess = () => resolve(true);
    request.onerror = (event) => {
      if (request.error?.name !== "ConstraintError") return reject(request.error);
      event.preventDefault();
      event.stopPropagation();
      resolve(false);
    };
  });
}
