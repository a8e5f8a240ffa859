/**
 * How many bytes each thread takes in IndexedDB, raw versus stored. The library's API speaks of
 * raw sizes only, so this panel reads the database itself, read-only, through its own short-lived
 * connection: a row belongs to a thread when its key names the thread, and a payload reference
 * inside a row ([size, crc, key or bytes, codec?]) holds a small payload itself or leads into
 * `blobs`, to the payload's rows. Only this file knows that much of the layout, and it assumes
 * no more.
 */

export interface ThreadUsage {
  rows: number;
  /** Bytes before compression. */
  raw: number;
  /** Bytes as kept in IndexedDB. */
  stored: number;
}

interface Tally extends ThreadUsage {
  refs: Ref[];
}

/** A payload reference: its raw size and where its bytes are (a `blobs` key, or here). */
interface Ref {
  size: number;
  where: string | Uint8Array;
}

function asRef(value: unknown[]): Ref | undefined {
  const [size, crc, where, codec] = value;
  const shaped = (value.length === 3 || (value.length === 4 && (codec === 1 || codec === 2))) && typeof size === "number" && typeof crc === "number";
  return shaped && (typeof where === "string" || where instanceof Uint8Array) ? { size, where } : undefined;
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
        const own = sizeOf(values[i], tally.refs);
        tally.raw += own;
        tally.stored += own;
      });
    }
    const blobs = await readBlobs(tx.objectStore("blobs"));
    for (const [owner, tally] of tallies) {
      // Rows shared by several payloads of the thread (chunks, chunk lists) are stored once, so
      // they count once.
      const seen = new Set<string>();
      for (const ref of tally.refs) {
        if (ref.where instanceof Uint8Array) {
          tally.raw += ref.size;
          tally.stored += ref.where.byteLength;
        } else if (blobs.rows.has(ref.where)) {
          tally.raw += ref.size;
          tally.stored += reachableBytes(blobs, ref.where, seen);
        }
      }
      result.set(owner, { rows: tally.rows, raw: tally.raw, stored: tally.stored });
    }
    return result;
  } finally {
    db.close();
  }
}

interface Blobs {
  rows: Map<string, unknown>;
  /** Key prefixes of the row kinds ("c:", "n:", ...) and the empty one. */
  prefixes: string[];
}

async function readBlobs(store: IDBObjectStore): Promise<Blobs> {
  const [keys, values] = await Promise.all([request(store.getAllKeys()), request(store.getAll())]);
  const rows = new Map<string, unknown>();
  const prefixes = new Set([""]);
  keys.forEach((key, i) => {
    if (typeof key !== "string") return;
    rows.set(key, values[i]);
    const colon = key.indexOf(":");
    if (colon > 0 && colon < 4) prefixes.add(key.slice(0, colon + 1));
  });
  return { rows, prefixes: [...prefixes] };
}

/**
 * Stored bytes of a payload: its row and every row it leads to. A payload may be one row or a
 * tree of shared chunk lists and chunks; a string in a row that names another row (as is, or
 * after a row kind's prefix) is followed.
 */
function reachableBytes(blobs: Blobs, start: string, seen: Set<string>): number {
  let bytes = 0;
  const stack = [start];
  while (stack.length) {
    const key = stack.pop()!;
    if (seen.has(key) || !blobs.rows.has(key)) continue;
    seen.add(key);
    const strings: string[] = [];
    bytes += sizeOf(blobs.rows.get(key), [], strings);
    for (const s of strings) for (const prefix of blobs.prefixes) if (blobs.rows.has(prefix + s)) stack.push(prefix + s);
  }
  return bytes;
}

/** Approximate stored size of a value; collects the payload references and strings it holds. */
function sizeOf(value: unknown, refs: Ref[], strings?: string[]): number {
  if (value instanceof Uint8Array) return value.byteLength;
  if (typeof value === "string") {
    strings?.push(value);
    return value.length;
  }
  if (typeof value === "number" || typeof value === "bigint") return 8;
  if (typeof value === "boolean") return 1;
  if (Array.isArray(value)) {
    const ref = asRef(value);
    if (ref) {
      refs.push(ref);
      return 0;
    }
    return value.reduce((sum: number, v) => sum + sizeOf(v, refs, strings), 0);
  }
  if (value && typeof value === "object") {
    const record = value as Record<string, unknown>;
    return Object.entries(record).reduce((sum, [k, v]) => sum + k.length + sizeOf(v, refs, strings), 0);
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
