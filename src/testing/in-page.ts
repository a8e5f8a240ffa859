/**
 * Functions the kit runs inside the page (Playwright serializes each one as its source): each is
 * self-contained, referring to nothing outside its own body. They speak raw IndexedDB, so they
 * work whatever the app bundled, and they turn values into JSON with type tags and back:
 *   {"$bytes": base64} Uint8Array, {"$buffer": base64} ArrayBuffer, {"$typed": [type, base64]}
 *   another typed array (Float32Array, …), {"$blob": [mime type, base64]} a Blob, {"$bigint": "…"},
 *   {"$number": "NaN" | "Infinity" | "-Infinity" | "-0"}, {"$undefined": true}, {"$date": ms},
 *   {"$map": [[k, v], …]}, {"$set": [v, …]}, and {"$object": [[k, v], …]} for an object with a
 *   key that starts with "$" (so no user object is mistaken for a tag).
 */

export interface PageDump {
  exists: boolean;
  version: number;
  stores: Array<{ name: string; records: Array<[unknown, unknown]> }>;
}

/** Every record of every object store of database `name`, tagged for JSON. */
export async function readDatabaseInPage(name: string): Promise<PageDump> {
  const encode = (v: unknown): unknown => {
    if (v === undefined) return { $undefined: true };
    if (v === null || typeof v === "string" || typeof v === "boolean") return v;
    if (typeof v === "number") {
      if (Number.isNaN(v)) return { $number: "NaN" };
      if (!Number.isFinite(v)) return { $number: v > 0 ? "Infinity" : "-Infinity" };
      if (Object.is(v, -0)) return { $number: "-0" };
      return v;
    }
    if (typeof v === "bigint") return { $bigint: v.toString() };
    const b64 = (bytes: Uint8Array) => {
      let s = "";
      for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
      return btoa(s);
    };
    if (v instanceof Uint8Array) return { $bytes: b64(v) };
    if (v instanceof ArrayBuffer) return { $buffer: b64(new Uint8Array(v)) };
    if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return { $typed: [v.constructor.name, b64(new Uint8Array(v.buffer, v.byteOffset, v.byteLength))] };
    if (v instanceof Blob) return { $blob: [v.type, b64(blobBytes.get(v)!)] };
    if (v instanceof Date) return { $date: v.getTime() };
    if (v instanceof Map) return { $map: [...v].map(([k, x]) => [encode(k), encode(x)]) };
    if (v instanceof Set) return { $set: [...v].map(encode) };
    if (Array.isArray(v)) return v.map(encode);
    if (typeof v === "object") {
      const entries = Object.entries(v as Record<string, unknown>);
      if (entries.some(([k]) => k.startsWith("$"))) return { $object: entries.map(([k, x]) => [k, encode(x)]) };
      return Object.fromEntries(entries.map(([k, x]) => [k, encode(x)]));
    }
    throw new Error(`a stored value of type ${typeof v} cannot be exported`);
  };
  // Blobs are read before encoding, which is synchronous.
  const blobBytes = new Map<Blob, Uint8Array>();
  const readBlobs = async (v: unknown): Promise<void> => {
    if (v instanceof Blob) blobBytes.set(v, new Uint8Array(await v.arrayBuffer()));
    else if (v && typeof v === "object" && !ArrayBuffer.isView(v) && !(v instanceof ArrayBuffer)) await Promise.all([...(v instanceof Map ? [...v].flat() : Object.values(v))].map(readBlobs));
  };
  const known = (await indexedDB.databases?.())?.some((d) => d.name === name);
  if (known === false) return { exists: false, version: 0, stores: [] };
  const db = await new Promise<IDBDatabase | undefined>((resolve, reject) => {
    const open = indexedDB.open(name);
    // Opening must not create the database: a missing one aborts its creation.
    open.onupgradeneeded = () => open.transaction?.abort();
    open.onsuccess = () => resolve(open.result);
    open.onerror = () => (open.error?.name === "AbortError" ? resolve(undefined) : reject(open.error));
  });
  if (!db) return { exists: false, version: 0, stores: [] };
  db.onversionchange = () => db.close();
  try {
    const names = [...db.objectStoreNames];
    if (names.length === 0) return { exists: true, version: db.version, stores: [] };
    const tx = db.transaction(names, "readonly");
    const all = <T>(r: IDBRequest<T>) => new Promise<T>((resolve, reject) => ((r.onsuccess = () => resolve(r.result)), (r.onerror = () => reject(r.error))));
    const stores = await Promise.all(
      names.map(async (n) => {
        const s = tx.objectStore(n);
        const [keys, values] = await Promise.all([all(s.getAllKeys()), all(s.getAll())]);
        await readBlobs(values);
        return { name: n, records: keys.map((k, i): [unknown, unknown] => [encode(k), encode(values[i])]) };
      }),
    );
    return { exists: true, version: db.version, stores };
  } finally {
    db.close();
  }
}

/**
 * Replaces the contents of database `name` with `stores`: opens it at `version` (creating the
 * object stores the dump names if the database is new), clears each store and writes every
 * record, in one transaction. Resolves with the number of records written.
 */
export async function writeDatabaseInPage(arg: { name: string; version: number; stores: Array<{ name: string; records: Array<[unknown, unknown]> }> }): Promise<number> {
  const decode = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(decode);
    if (v === null || typeof v !== "object") return v;
    const o = v as Record<string, unknown>;
    const bytes = (s: string) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
    if ("$undefined" in o) return undefined;
    if ("$number" in o) return o.$number === "-0" ? -0 : Number(o.$number);
    if ("$bigint" in o) return BigInt(o.$bigint as string);
    if ("$bytes" in o) return bytes(o.$bytes as string);
    if ("$buffer" in o) return bytes(o.$buffer as string).buffer;
    if ("$typed" in o) {
      const [type, data] = o.$typed as [string, string];
      const views: Record<string, new (b: ArrayBuffer) => ArrayBufferView> = { Int8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array, Float32Array, Float64Array, BigInt64Array, BigUint64Array };
      if (!views[type]) throw new Error(`an exported value names an unknown array type ${JSON.stringify(type)}`);
      return new views[type](bytes(data).buffer);
    }
    if ("$blob" in o) {
      const [type, data] = o.$blob as [string, string];
      return new Blob([bytes(data)], { type });
    }
    if ("$date" in o) return new Date(o.$date as number);
    if ("$map" in o) return new Map((o.$map as Array<[unknown, unknown]>).map(([k, x]) => [decode(k), decode(x)]));
    if ("$set" in o) return new Set((o.$set as unknown[]).map(decode));
    if ("$object" in o) return Object.fromEntries((o.$object as Array<[string, unknown]>).map(([k, x]) => [k, decode(x)]));
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, decode(x)]));
  };
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const open = indexedDB.open(arg.name, arg.version);
    open.onupgradeneeded = () => {
      for (const s of arg.stores) if (!open.result.objectStoreNames.contains(s.name)) open.result.createObjectStore(s.name);
    };
    open.onsuccess = () => resolve(open.result);
    open.onerror = () => reject(open.error);
    open.onblocked = () => reject(new Error(`importing into "${arg.name}" is blocked by a connection that ignores versionchange`));
  });
  db.onversionchange = () => db.close();
  try {
    const names = arg.stores.map((s) => s.name);
    const missing = names.filter((n) => !db.objectStoreNames.contains(n));
    if (missing.length) throw new Error(`database "${arg.name}" has no object store ${missing.join(", ")}`);
    const tx = db.transaction(names, "readwrite");
    let written = 0;
    for (const s of arg.stores) {
      const store = tx.objectStore(s.name);
      store.clear();
      for (const [key, value] of s.records) {
        store.put(decode(value), decode(key) as IDBValidKey);
        written++;
      }
    }
    await new Promise<void>((resolve, reject) => {
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error ?? new Error("the import transaction was aborted"));
    });
    return written;
  } finally {
    db.close();
  }
}

/** Deletes database `name`; open connections of the library step aside (versionchange). */
export function deleteDatabaseInPage(name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.deleteDatabase(name);
    req.onsuccess = () => resolve();
    req.onerror = () => reject(req.error);
    req.onblocked = () => {
      // Resolves once the blocking connection closes; the library closes on versionchange.
    };
  });
}

/**
 * Asks every open store of database `name` to write its buffered events and resolves when each
 * has answered (the engines and the message names are in src/changes/change.ts).
 */
export async function flushEventsInPage(arg: { channel: string; lockPrefix: string; timeoutMs: number }): Promise<{ engines: number; errors: string[] }> {
  const locks = navigator.locks;
  const held = locks ? ((await locks.query()).held ?? []) : [];
  const engines = new Set(held.map((l) => l.name ?? "").filter((n) => n.startsWith(arg.lockPrefix)).map((n) => n.slice(arg.lockPrefix.length)));
  if (engines.size === 0) return { engines: 0, errors: [] };
  const id = `${Date.now()}-${Math.random()}`;
  const channel = new BroadcastChannel(arg.channel);
  try {
    return await new Promise((resolve, reject) => {
      const errors: string[] = [];
      const timer = setTimeout(() => reject(new Error(`${engines.size} store(s) did not answer the flush within ${arg.timeoutMs} ms`)), arg.timeoutMs);
      const total = engines.size;
      channel.onmessage = (e: MessageEvent) => {
        const m = e.data as { kind?: string; id?: string; source?: string; error?: string };
        if (m?.kind !== "idb-checkpoint:flushed" || m.id !== id || !m.source || !engines.delete(m.source)) return;
        if (m.error) errors.push(m.error);
        if (engines.size === 0) {
          clearTimeout(timer);
          resolve({ engines: total, errors });
        }
      };
      channel.postMessage({ kind: "idb-checkpoint:flush", id });
    });
  } finally {
    channel.close();
  }
}

/** Plays a newer version of the app in another tab: opens database `name` one version up. */
export async function upgradeSchemaInPage(name: string): Promise<number> {
  const version = await new Promise<number>((resolve, reject) => {
    const open = indexedDB.open(name);
    open.onsuccess = () => {
      const v = open.result.version;
      open.result.close();
      resolve(v);
    };
    open.onerror = () => reject(open.error);
  });
  return new Promise<number>((resolve, reject) => {
    const open = indexedDB.open(name, version + 1);
    open.onsuccess = () => {
      open.result.close();
      resolve(version + 1);
    };
    open.onerror = () => reject(open.error);
  });
}
