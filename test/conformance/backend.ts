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
