/**
 * Raw IndexedDB access to a store's database, for tests that play a second program in the same
 * origin: reading, damaging or swapping rows behind the library's back. Knows nothing of the
 * payload layout: it finds byte arrays wherever they sit in a row.
 */

export function rawOpen(name: string, version?: number, onUpgrade?: (db: IDBDatabase) => void): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = version === undefined ? indexedDB.open(name) : indexedDB.open(name, version);
    req.onupgradeneeded = () => onUpgrade?.(req.result);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function done<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

export async function rawKeys(db: IDBDatabase, store: string): Promise<IDBValidKey[]> {
  return done(db.transaction(store, "readonly").objectStore(store).getAllKeys());
}

export async function rawGet(db: IDBDatabase, store: string, key: IDBValidKey): Promise<unknown> {
  return done(db.transaction(store, "readonly").objectStore(store).get(key));
}

export async function rawPut(db: IDBDatabase, store: string, entries: Array<[IDBValidKey, unknown]>): Promise<void> {
  const tx = db.transaction(store, "readwrite");
  for (const [key, value] of entries) tx.objectStore(store).put(value, key);
  await new Promise<void>((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
}

/** A stable string for a key, to diff key sets. */
export function keyId(key: IDBValidKey): string {
  return JSON.stringify(key, (_k, v) => (v instanceof ArrayBuffer || ArrayBuffer.isView(v) ? Array.from(new Uint8Array(v as ArrayBuffer)) : v));
}

export interface ByteSlot {
  get(): Uint8Array;
  set(bytes: Uint8Array): void;
}

/**
 * Every byte array inside `box.row` (at any depth, the row itself included), as slots that can
 * be read and replaced; write `box.row` back afterwards.
 */
export function byteSlots(box: { row: unknown }): ByteSlot[] {
  const slots: ByteSlot[] = [];
  const visit = (holder: Record<string | number, unknown>, key: string | number): void => {
    const v = holder[key];
    if (v instanceof Uint8Array) {
      slots.push({ get: () => holder[key] as Uint8Array, set: (b) => (holder[key] = b) });
    } else if (v instanceof ArrayBuffer) {
      slots.push({ get: () => new Uint8Array(holder[key] as ArrayBuffer), set: (b) => (holder[key] = b.slice().buffer) });
    } else if (v && typeof v === "object") {
      for (const k of Object.keys(v)) visit(v as Record<string, unknown>, k);
    }
  };
  visit(box as Record<string, unknown>, "row");
  return slots;
}

/** The longest byte array of a row: where a payload's bytes are. */
export function largestSlot(box: { row: unknown }): ByteSlot {
  const slots = byteSlots(box);
  if (slots.length === 0) throw new Error("row holds no bytes");
  return slots.reduce((a, b) => (b.get().length > a.get().length ? b : a));
}

/** The keys among `keys` whose rows in `store` hold bytes: payloads and chunks, not lists or counters. */
export async function rowsWithBytes(db: IDBDatabase, store: string, keys: IDBValidKey[]): Promise<IDBValidKey[]> {
  const out: IDBValidKey[] = [];
  for (const k of keys) if (byteSlots({ row: await rawGet(db, store, k) }).length > 0) out.push(k);
  return out;
}
