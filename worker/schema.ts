import { unwrap, wrap, type DBSchema, type IDBPDatabase, type IDBPTransaction, type StoreNames } from "idb";

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

/** A store of an open transaction, in either mode: what keysAndValues asks of it. */
interface RangeReads {
  getAllKeys(query?: IDBKeyRange, count?: number): Promise<IDBValidKey[]>;
  getAll(query?: IDBKeyRange, count?: number): Promise<unknown[]>;
}

/** IDBObjectStore.getAllRecords (Chromium 141+): keys and values of a range in one request. */
type WithRecords = IDBObjectStore & {
  getAllRecords?: (options: { query?: IDBKeyRange; count?: number }) => IDBRequest<Array<{ key: IDBValidKey; value: unknown }>>;
};

/**
 * The keys and values of a range (the first `count`), in key order. One request where the engine
 * has getAllRecords, else getAllKeys and getAll side by side: in Chromium the two walk the range
 * twice, values included, and one request reads 40 rows of 400 KB in two thirds of the time.
 */
export async function keysAndValues<V = any>(store: RangeReads, query?: IDBKeyRange, count?: number): Promise<{ keys: IDBValidKey[]; values: V[] }> {
  const raw = unwrap(store as unknown as Parameters<typeof unwrap>[0]) as unknown as WithRecords;
  if (typeof raw.getAllRecords === "function") {
    const records = await wrap(raw.getAllRecords(count === undefined ? { query } : { query, count }));
    return { keys: records.map((r) => r.key), values: records.map((r) => r.value as V) };
  }
  const [keys, values] = await Promise.all([store.getAllKeys(query, count), store.getAll(query, count)]);
  return { keys, values: values as V[] };
}
