/**
 * Bytes a database holds: every key and value of every object store, walked on the page with
 * raw IndexedDB (the same origin sees the worker's database). Binary data counts its length,
 * strings their length, numbers 8 bytes: an estimate of what IndexedDB has to keep, the same for
 * every layout compared.
 */
export interface StoredBytes {
  total: number;
  stores: Record<string, { rows: number; bytes: number }>;
  /** The same by kind of row: store plus key prefix (array keys: first two elements). */
  kinds: Record<string, { rows: number; keyBytes: number; valueBytes: number }>;
}

/** The kind of a row, from its key: where the bytes go. */
function kindOf(store: string, key: IDBValidKey): string {
  if (Array.isArray(key)) return `${store} ${key.slice(0, 2).map(String).join("/")}`;
  if (typeof key === "string") {
    const colon = key.indexOf(":");
    return `${store} ${colon > 0 && colon < 3 ? key.slice(0, colon + 1) : "payload"}`;
  }
  return `${store} ${typeof key}`;
}

export function sizeOf(v: unknown): number {
  if (v === null || v === undefined) return 1;
  if (typeof v === "string") return v.length;
  if (typeof v === "number" || typeof v === "bigint") return 8;
  if (typeof v === "boolean") return 1;
  if (ArrayBuffer.isView(v)) return v.byteLength;
  if (v instanceof ArrayBuffer) return v.byteLength;
  if (v instanceof Blob) return v.size;
  if (Array.isArray(v)) return v.reduce((a: number, x) => a + sizeOf(x), 0);
  if (typeof v === "object") {
    let n = 0;
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) n += k.length + sizeOf(x);
    return n;
  }
  return 8;
}

function request<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

export async function storedBytes(dbName: string): Promise<StoredBytes> {
  const db = await request(indexedDB.open(dbName));
  try {
    const result: StoredBytes = { total: 0, stores: {}, kinds: {} };
    for (const name of Array.from(db.objectStoreNames)) {
      const tx = db.transaction(name, "readonly");
      const store = tx.objectStore(name);
      const [keys, values] = await Promise.all([request(store.getAllKeys()), request(store.getAll())]);
      let bytes = 0;
      for (let i = 0; i < keys.length; i++) {
        const k = sizeOf(keys[i]);
        const v = sizeOf(values[i]);
        bytes += k + v;
        const kind = (result.kinds[kindOf(name, keys[i])] ??= { rows: 0, keyBytes: 0, valueBytes: 0 });
        kind.rows++;
        kind.keyBytes += k;
        kind.valueBytes += v;
      }
      result.stores[name] = { rows: keys.length, bytes };
      result.total += bytes;
    }
    return result;
  } finally {
    db.close();
  }
}
