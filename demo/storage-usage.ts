/**
 * How many bytes each thread takes in IndexedDB, raw versus stored. The library's API speaks of
 * raw sizes only, so this panel reads the database itself, read-only, through its own short-lived
 * connection: a row belongs to a thread when its key names the thread, and a payload reference
 * inside a row ({ id, size }) points at a row of `blobs`: the payload whole, or a list of
 * content-defined chunks, each stored once however many payloads share it.
 */

export interface ThreadUsage {
  rows: number;
  /** Bytes before compression. */
  raw: number;
  /** Bytes as kept in IndexedDB. */
  stored: number;
}

interface Tally extends ThreadUsage {
  refs: Array<{ id: string; size: number }>;
}

export async function measureThreads(dbName: string, threadIds: string[]): Promise<Map<string, ThreadUsage>> {
  const result = new Map<string, ThreadUsage>();
  const db = await openExisting(dbName);
  if (!db) return result;
  try {
    const names = ["meta", "events", "blobs"].filter((n) => db.objectStoreNames.contains(n));
    if (names.length < 3) return result;
    const tx = db.transaction(names, "readonly");
    const wanted = new Set(threadIds);
    const tallies = new Map<string, Tally>();
    for (const storeName of ["meta", "events"]) {
      const store = tx.objectStore(storeName);
      const [keys, values] = await Promise.all([request(store.getAllKeys()), request(store.getAll())]);
      keys.forEach((key, i) => {
        const owner = Array.isArray(key) ? key.find((part): part is string => typeof part === "string" && wanted.has(part)) : undefined;
        if (!owner) return;
        const tally = tallies.get(owner) ?? { rows: 0, raw: 0, stored: 0, refs: [] };
        tallies.set(owner, tally);
        tally.rows++;
        const inline = sizeOf(values[i], tally.refs);
        tally.raw += inline;
        tally.stored += inline;
      });
    }
    const blobs = await readBlobs(tx.objectStore("blobs"));
    for (const [owner, tally] of tallies) {
      // A chunk shared by several payloads of the thread is stored once, so it counts once.
      const chunksSeen = new Set<string>();
      for (const ref of tally.refs) {
        const row = blobs.rows.get(ref.id);
        if (!row) continue;
        tally.raw += ref.size;
        if (row.data instanceof Uint8Array) tally.stored += row.data.byteLength;
        for (const [key] of Array.isArray(row.parts) ? row.parts : []) {
          if (chunksSeen.has(key)) continue;
          chunksSeen.add(key);
          tally.stored += blobs.chunkBytes.get(key) ?? 0;
        }
      }
      result.set(owner, { rows: tally.rows, raw: tally.raw, stored: tally.stored });
    }
    return result;
  } finally {
    db.close();
  }
}

interface BlobRow {
  /** A payload kept whole, or one chunk. */
  data?: Uint8Array;
  /** A payload kept as content-defined chunks: [chunk key, raw length, crc] each. */
  parts?: Array<[string, number, number]>;
}

/** Every row of `blobs`, and the stored size of each chunk by its key (row keys are "<kind>:<key>"). */
async function readBlobs(store: IDBObjectStore): Promise<{ rows: Map<string, BlobRow>; chunkBytes: Map<string, number> }> {
  const [keys, values] = await Promise.all([request(store.getAllKeys()), request(store.getAll())]);
  const rows = new Map<string, BlobRow>();
  const chunkBytes = new Map<string, number>();
  keys.forEach((key, i) => {
    if (typeof key !== "string") return;
    const row = values[i] as BlobRow;
    rows.set(key, row);
    if (row?.data instanceof Uint8Array && key.includes(":")) chunkBytes.set(key.slice(key.indexOf(":") + 1), row.data.byteLength);
  });
  return { rows, chunkBytes };
}

/** Approximate inline size of a row's value; collects the payload references it holds. */
function sizeOf(value: unknown, refs: Array<{ id: string; size: number }>): number {
  if (value instanceof Uint8Array) return value.byteLength;
  if (typeof value === "string") return value.length;
  if (typeof value === "number" || typeof value === "bigint") return 8;
  if (typeof value === "boolean") return 1;
  if (Array.isArray(value)) return value.reduce((sum: number, v) => sum + sizeOf(v, refs), 0);
  if (value && typeof value === "object") {
    const record = value as Record<string, unknown>;
    if (typeof record.id === "string" && typeof record.size === "number" && Object.keys(record).length === 2) {
      refs.push({ id: record.id, size: record.size });
      return 0;
    }
    return Object.entries(record).reduce((sum, [k, v]) => sum + k.length + sizeOf(v, refs), 0);
  }
  return 0;
}

/** Opens the database only if it exists: an open that would create it is aborted. */
function openExisting(name: string): Promise<IDBDatabase | undefined> {
  return new Promise((resolve) => {
    const open = indexedDB.open(name);
    open.onupgradeneeded = () => open.transaction?.abort();
    open.onsuccess = () => {
      const db = open.result;
      // Never stand in the way of the library's own upgrade in this or another tab.
      db.onversionchange = () => db.close();
      resolve(db);
    };
    open.onerror = () => resolve(undefined);
    open.onblocked = () => resolve(undefined);
  });
}

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}
