import { afterEach } from "vitest";
import type { Stores } from "../../src/types";

/**
 * What a conformance spec runs against. The same spec file runs unchanged on the engine over
 * fake-indexeddb in Node (test/unit/conformance.test.ts) and on openStore - a real worker over
 * real IndexedDB - in Chromium (test/browser/conformance.test.ts).
 */
export interface Backend {
  /** Shown in test names. */
  name: string;
  /** Opens the stores of database `dbName`; opening the same name again sees the same data. */
  open(dbName: string): Promise<Stores>;
  /** A database name no other test uses. */
  freshName(prefix: string): string;
  /**
   * Raw IndexedDB access to the database behind `dbName`, for tests that count or damage rows.
   * Resolves with the number of rows in each object store.
   */
  countRows(dbName: string): Promise<Record<string, number>>;
}

let counter = 0;
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${(counter++).toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

/** Opens `name` with raw IndexedDB (no upgrade) and counts the rows of every object store. */
export async function countRowsWith(factory: IDBFactory, name: string): Promise<Record<string, number>> {
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const req = factory.open(name);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
  try {
    const names = Array.from(db.objectStoreNames);
    const tx = db.transaction(names, "readonly");
    const counts: Record<string, number> = {};
    await Promise.all(
      names.map(
        (n) =>
          new Promise<void>((resolve, reject) => {
            const req = tx.objectStore(n).count();
            req.onsuccess = () => {
              counts[n] = req.result;
              resolve();
            };
            req.onerror = () => reject(req.error);
          }),
      ),
    );
    return counts;
  } finally {
    db.close();
  }
}

/**
 * The stores a spec opens, closed after each test. `fresh()` opens a new database (or `name`
 * again); `reopen()` closes one and opens its database again, as a reload would.
 */
export function storesFor(backend: Backend, prefix: string) {
  const open: Stores[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close()));
  });
  async function fresh(name = backend.freshName(prefix)): Promise<{ stores: Stores; name: string }> {
    const stores = await backend.open(name);
    open.push(stores);
    return { stores, name };
  }
  async function reopen(first: { stores: Stores; name: string }): Promise<{ stores: Stores; name: string }> {
    await closeNow(first.stores);
    return fresh(first.name);
  }
  /** Closes stores before the test ends (their database is checked while nothing holds it). */
  async function closeNow(stores: Stores): Promise<void> {
    open.splice(open.indexOf(stores), 1);
    await stores.close();
  }
  return { fresh, reopen, closeNow };
}
