import type { SaverPutRequest, SaverPutWritesRequest } from "../types.js";
import type { WireChange } from "./protocol.js";

/** What a batch of the change log exports: wire changes, and the log position they reach. */
export interface ExportedChanges {
  changes: WireChange[];
  /** Sequence number of the last log row this batch consumed (the `after` of the next). */
  last: number;
  /** More log rows wait after `last`. */
  more: boolean;
}

export interface ExportRequest {
  /** Log rows after this sequence number. */
  after: number;
  maxChanges: number;
  /** The batch stops after the change that passes this many payload bytes. */
  maxBytes: number;
  /** Only changes of these threads (rows of others are consumed and skipped); absent: all. */
  threads?: string[];
}

/**
 * The worker's side of sync, used by `createSync` (src/sync/): the saver's change log, exported
 * in wire form, and the saver's writes for changes that came from a server (which are not
 * logged, so they do not travel back).
 */
export interface SaverSync {
  /** Turns the change log on (idempotent); changes made before are not in it. */
  enable(): Promise<void>;
  exportChanges(request: ExportRequest): Promise<ExportedChanges>;
  /** Log rows after `after`. */
  pendingCount(after: number): Promise<number>;
  /** Drops log rows before `upTo` (acknowledged by the server; row `upTo` stays as the high-water mark). */
  trim(upTo: number): Promise<void>;
  put(request: SaverPutRequest): Promise<void>;
  putWrites(request: SaverPutWritesRequest): Promise<void>;
  deleteThread(threadId: string): Promise<void>;
  /** Which of these (thread, ns, checkpoint id) are stored. */
  has(refs: Array<[string, string, string]>): Promise<boolean[]>;
  getMark(name: string): Promise<string | number | undefined>;
  setMark(name: string, value: string | number): Promise<void>;
}
