import type { DataLoss } from "../src/data-loss.js";
import { StoreError, isStoreError } from "../src/errors.js";
import type { Database } from "./db.js";
import type { Key } from "./schema.js";

/**
 * Data lost under a store, found on open and kept. Chromium reports a loss once, in the
 * `upgradeneeded` event of the first open after it threw the backing store away; the next open
 * sees an ordinary database that happens to be empty. So the report is written into the new
 * database, in the upgrade transaction that creates it (no transaction of its own, and it is
 * there exactly when the new schema is), and read back by later opens. A loss the browser does
 * not report but leaves traces of (rows in a database it opens as new) is kept the same way.
 */

/** The row in `meta` that holds the last loss: { kind, message, at }. */
export const DATA_LOSS_KEY: Key = ["sys", "dataLoss"];

/** A loss as the database keeps it. */
export type Loss = Omit<DataLoss, "reportedNow">;

/**
 * Run in an open's `upgradeneeded`, after the migrations: keeps the loss the browser reports, or
 * looks for rows of before in a database opened as new; `found` runs before the open succeeds.
 */
export function noteLoss(event: IDBVersionChangeEvent, upgrade: IDBTransaction, found: (loss: Loss) => void): void {
  const loss = reportedLoss(event);
  if (loss) {
    recordLoss(upgrade, loss);
    found(loss);
  } else if (event.oldVersion === 0) findLeftovers(upgrade, found);
}

/** The loss an `upgradeneeded` event reports, if any (the fields are Chromium's; others leave them out). */
export function reportedLoss(event: Event, now = Date.now()): Loss | undefined {
  const { dataLoss, dataLossMessage } = event as Event & { dataLoss?: unknown; dataLossMessage?: unknown };
  if (dataLoss !== "total") return undefined;
  return { kind: "total", message: typeof dataLossMessage === "string" ? dataLossMessage : "", at: now };
}

/** Writes the report in the open's upgrade transaction, after the migrations made `meta`. */
export function recordLoss(upgrade: IDBTransaction, loss: Loss): void {
  if (!upgrade.objectStoreNames.contains("meta")) return;
  // Not awaited: the upgrade transaction commits it with the schema, or neither is there.
  const request = upgrade.objectStore("meta").put(loss, DATA_LOSS_KEY);
  request.onerror = (event) => event.preventDefault();
}

/**
 * A database the browser opens as new (oldVersion 0) has empty object stores, unless the browser
 * lost its record of the database but not all of its rows: then the stores the upgrade just
 * created show rows written before, and whatever else was stored is gone, unreported (Chromium
 * with LevelDB's CURRENT file deleted: test/e2e/data-loss.test.ts). One key cursor per store, in
 * the upgrade transaction, and only on a first open; `found` runs before the open succeeds.
 */
export function findLeftovers(upgrade: IDBTransaction, found: (loss: Loss) => void): void {
  let seen = false;
  for (const name of ["meta", "blobs", "events"]) {
    if (!upgrade.objectStoreNames.contains(name)) continue;
    const request = upgrade.objectStore(name).openKeyCursor();
    request.onsuccess = () => {
      if (!request.result || seen) return;
      seen = true;
      const loss: Loss = {
        kind: "partial",
        message: "the browser opened this database as new, yet rows stored before are in it: it lost its record of the database and an unknown part of the data, and reported nothing",
        at: Date.now(),
      };
      recordLoss(upgrade, loss);
      found(loss);
    };
    request.onerror = (event) => event.preventDefault();
  }
}

/**
 * The loss this database carries: the one reported on this open, else the record an earlier
 * open left. A record that cannot be read says nothing, and the open goes on without it.
 */
export async function dataLossOf(db: Database): Promise<DataLoss | undefined> {
  if (db.foundLoss) return { ...db.foundLoss, reportedNow: true };
  const stored = await db.read(["meta"], (tx) => tx.objectStore("meta").get(DATA_LOSS_KEY), "reading the data-loss record").catch(() => undefined);
  if (!isLoss(stored)) return undefined;
  return { kind: stored.kind, message: stored.message, at: stored.at, reportedNow: false };
}

function isLoss(value: unknown): value is Loss {
  const v = value as Partial<Loss> | undefined;
  return (v?.kind === "total" || v?.kind === "partial") && typeof v.message === "string" && typeof v.at === "number";
}

/**
 * An open the browser failed with UnknownError (after Database's retries) names the likely cause.
 * Chromium fails so, visit after visit, when its files for the site are damaged in a way it does
 * not recover from (a LevelDB MANIFEST gone; test/e2e/data-loss.test.ts), and also on a full or
 * read-only disk. Same code and retryable flag: a passing failure may still clear.
 */
export function explainOpenFailure(e: unknown): unknown {
  if (!isStoreError(e, "DATABASE_CLOSED") || (e.cause as { name?: unknown } | undefined)?.name !== "UnknownError") return e;
  return new StoreError(
    "DATABASE_CLOSED",
    `${e.message}. If this happens on every visit, the browser cannot read this site's IndexedDB files (damaged on disk, or a full or read-only disk); clearing the site's data lets the store start again, empty`,
    { cause: e.cause, retryable: e.retryable },
  );
}
