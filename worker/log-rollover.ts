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
 *
 * The old log is removed only once the flush is done, and the delete resolves without waiting
 * for it: a browser that exits in between replays the old log on its next start, cut record,
 * the scratch database's own rows after it, and all. A flush waits for the one before it, so the
 * rounds are repeated: the old log was still on disk as the rollover resolved in 35 of 40 tries
 * with one round, 2 of 40 with three (13.5 → 32.7 ms median, once per connection:
 * `node test/reliability/log-rollover-probe.mjs 40 1 3`). Nothing a page can see tells when the
 * flush is done, so three rounds narrow that window; they do not close it.
 */

/** Rounds of creating and deleting the scratch database (see above). */
const ROUNDS = 3;

/** The scratch database, one for the whole site: the flush is the site's, not one store's. */
export const ROLLOVER_DB = "idb-checkpoint:log-rollover";

/**
 * Writes wait at most this long for the rollover: a scratch delete blocked by another tab must
 * not stall the store. Past it the first write goes to the old log, exposed as before, so the cap
 * is far above the rollover's usual tens of milliseconds. (One CI run on a loaded 2-core machine,
 * with one round and a 2 s cap, lost the checkpoints of test/e2e/data-loss.test.ts's cut-record
 * spec; the window above, a browser closed before the flush, fits what it saw.)
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
 * database that does not exist flushes nothing) and deletes it, ROUNDS times. Resolves when done,
 * also when it failed: a site whose storage is blocked or full fails its own opens and writes
 * with their errors.
 */
export async function rolloverLog(factory: IDBFactory): Promise<void> {
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const open = factory.open(ROLLOVER_DB);
      // Only a new database upgrades; one a crash left behind already has its store.
      open.onupgradeneeded = () => open.result.createObjectStore("s");
      // Closed at once, so another tab's delete of it is never blocked by this one.
      (await request(open)).close();
      await request(factory.deleteDatabase(ROLLOVER_DB));
    }
  } catch {
    // Nothing to report: see above.
  }
}
