import { wrap, type IDBPDatabase } from "idb";
import { StoreError, toStoreError } from "../src/errors.js";
import { MIGRATIONS, type Schema } from "./schema.js";
import { noteLoss, type Loss } from "./data-loss.js";

export interface OpenDatabaseOptions {
  factory: IDBFactory;
  name: string;
  version: number;
  /** How long an upgrade waits for other tabs to close before rejecting with UPGRADE_BLOCKED. */
  blockedTimeoutMs: number;
  /** Data the browser lost under the database, found by this open (worker/data-loss.ts). */
  onLoss(loss: Loss): void;
  /** The connection was closed from outside: another tab's upgrade, or site data cleared. */
  onDrop(reason: "versionchange" | "closed"): void;
}

/**
 * One open of the database, migrated to `version`. idb's openDB always opens through the global
 * factory; this opens through the one given (fake-indexeddb's in Node) and wires the same
 * callbacks. The Database of worker/db.ts reopens with it after the browser dropped a connection.
 */
export function openDatabase(o: OpenDatabaseOptions): Promise<IDBPDatabase<Schema>> {
  return new Promise<IDBPDatabase<Schema>>((resolve, reject) => {
    let blockedTimer: ReturnType<typeof setTimeout> | undefined;
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      if (blockedTimer) clearTimeout(blockedTimer);
      fn();
    };
    let raw: IDBOpenDBRequest;
    try {
      raw = o.factory.open(o.name, o.version);
    } catch (e) {
      // A SecurityError (sandboxed iframe, opaque origin, storage blocked) is thrown, not fired.
      finish(() => reject(toStoreError(e, `opening "${o.name}"`)));
      return;
    }
    raw.addEventListener("upgradeneeded", (event) => {
      const db = wrap(raw.result) as unknown as IDBPDatabase<Schema>;
      for (let v = event.oldVersion; v < Math.min(o.version, MIGRATIONS.length); v++) MIGRATIONS[v](db);
      noteLoss(event, raw.transaction!, o.onLoss);
    });
    raw.addEventListener("blocked", () => {
      // Another connection holds an older version open and ignores versionchange.
      blockedTimer ??= setTimeout(() => {
        finish(() => reject(new StoreError("UPGRADE_BLOCKED", `opening "${o.name}" is blocked by another tab that keeps an older version open`)));
      }, o.blockedTimeoutMs);
    });
    const request = wrap(raw) as unknown as Promise<IDBPDatabase<Schema>>;
    request
      .then((db) => {
        // A newer version wants in: step aside instead of blocking it.
        db.addEventListener("versionchange", () => o.onDrop("versionchange"));
        db.addEventListener("close", () => o.onDrop("closed"));
      })
      .catch(() => {});
    request.then(
      (db) => {
        if (settled) {
          // The open finished after we gave up waiting: close it so it blocks no one.
          db.close();
          return;
        }
        finish(() => resolve(db));
      },
      (e) => finish(() => reject(toStoreError(e, `opening "${o.name}"`))),
    );
  });
}
