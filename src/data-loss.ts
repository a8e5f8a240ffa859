/**
 * Stored data the browser lost under a store. Chromium, finding an IndexedDB backing store it
 * cannot read on open (a crash mid-write, a bad disk), deletes the origin's databases and creates
 * the opened one empty; the open's `upgradeneeded` event then carries `dataLoss: "total"` and a
 * message. Without this an app cannot tell an empty store that was never written from one the
 * browser emptied. Firefox and WebKit report nothing of the kind.
 */
export interface DataLoss {
  /**
   * "total": the browser reported it threw everything stored away (Chromium's `dataLoss`).
   * "partial": the browser reported nothing, but opened the database as new while rows written
   * before were still in it: it lost its record of the database (Chromium, when a LevelDB file
   * that points to the others is gone) and, with it, an unknown part of the data.
   */
  kind: "total" | "partial";
  /** The browser's reason, in its words (Chromium: "IndexedDB (database was corrupt): ..."), or the store's for "partial". */
  message: string;
  /** When the open that found it ran, in milliseconds since the epoch. */
  at: number;
  /**
   * True on that open (the browser reports a loss once, to the first open after it); false on
   * later opens, which read the record that open left in the database.
   */
  reportedNow: boolean;
}
