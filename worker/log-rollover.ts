/**
 * Chromium keeps a site's IndexedDB in LevelDB, which appends every committed transaction to a
 * write-ahead log and, on the next start, replays that log and goes on appending to the same
 * file. A crash while a record is being written (the browser killed, out of memory, a power cut)
 * leaves that record cut short at the end of the log. The next start drops it, as it should,
 * and appends after it; the start after that finds the cut record in the middle of the log,
 * reports "checksum mismatch", and Chromium deletes every database of the site. Acknowledged data
 * is lost one or more visits after a crash that lost nothing by itself (the crash sweep in
 * test/e2e/reliability-crash.test.ts hit it about once in 50 kills on a loaded machine;
 * test/e2e/data-loss.test.ts makes the cut record on purpose).
 *
 * Deleting a database that exists makes Chromium flush LevelDB's in-memory table to a table
 * file, which starts a new log and retires the old one, cut record and all. So, before the first
 * write of each connection, the engine creates and deletes a scratch database, and holds its
 * writes until that is done: nothing it writes can land after a cut record that a later start
 * would read. Not at open: the flush would slow the reads a page makes as it starts.
 */

/** The scratch database, one for the whole site: the flush is the site's, not one store's. */
export const ROLLOVER_DB = "idb-checkpoint:log-rollover";

/**
 * Writes wait at most this long for the rollover: a scratch delete blocked by another tab must
 * not stall the store. Past it the first write goes to the old log, exposed as before, so the cap
 * is far above the rollover's usual few to tens of milliseconds: at 2 s, one CI run on a loaded
 * 2-core machine lost the checkpoints of test/e2e/data-loss.test.ts's cut-record spec (its cause
 * there was not established; this is the one way found for a first write to skip the rollover).
 */
export const ROLLOVER_WAIT_MS = 10_000;

/** Whether this engine's IndexedDB is Chromium's (LevelDB). Firefox and WebKit keep it in SQLite. */
export function usesLevelDb(): boolean {
  const agent = (globalThis as { navigator?: { userAgent?: string } }).navigator?.userAgent ?? "";
  // "HeadlessChrome/" too.
  return /Chrom(e|ium)\//.test(agent);
}

function request<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = (event) => {
      event.preventDefault();
      reject(r.error);
    };
  });
}

/**
 * Creates the scratch database (with one object store, the shape checked to flush; deleting a
 * database that does not exist flushes nothing) and deletes it. Resolves when done, also when it failed: a site whose storage
 * is blocked or full fails its own opens and writes with their errors.
 */
export async function rolloverLog(factory: IDBFactory): Promise<void> {
  try {
    const open = factory.open(ROLLOVER_DB);
    // Only a new database upgrades; one a crash left behind already has its store.
    open.onupgradeneeded = () => open.result.createObjectStore("s");
    // Closed at once, so another tab's delete of it is never blocked by this one.
    (await request(open)).close();
    await request(factory.deleteDatabase(ROLLOVER_DB));
  } catch {
    // Nothing to report: see above.
  }
}
