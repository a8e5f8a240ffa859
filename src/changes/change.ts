import type { Stores } from "../types.js";

/**
 * What a committed change looks like to a subscriber, and how a store call is described as one.
 * Shared by the worker (which announces) and the page (which listens); plain data only.
 */

export type ChangedStore = Exclude<keyof Stores, "close" | "flush">;

export interface StoreChange {
  /** Which of the five stores changed. */
  store: ChangedStore;
  /** The method that made the change: "save", "put", "finishTurn", "deleteThread", ... */
  method: string;
  /** The thread the change belongs to (threads, saver, events). */
  threadId?: string;
  /** The run the change belongs to (runs). */
  runId?: string;
  /** The trace the change belongs to (blobs.save; a blob delete names only its checkpoint). */
  traceId?: string;
  /** True when the change was made through this handle (this tab's store), false for other tabs. */
  local: boolean;
  /** When the change committed, in milliseconds since the epoch (the writer's clock). */
  at: number;
}

/** The message on the wire: a change without `local`, and the id of the engine that made it. */
export interface ChangeMessage {
  kind: "idb-checkpoint:change";
  source: string;
  change: Omit<StoreChange, "local">;
}

/** The BroadcastChannel every engine of a database announces its commits on. */
export function changeChannelName(storeName: string): string {
  return `idb-checkpoint:${storeName}:changes`;
}

type Describe = (args: unknown[]) => Partial<Pick<StoreChange, "threadId" | "runId" | "traceId">>;

const first = (args: unknown[]) => args[0];
const field = (args: unknown[], name: string) => (args[0] as Record<string, unknown> | undefined)?.[name];
const str = (v: unknown) => (typeof v === "string" ? v : undefined);

const thread: Describe = (args) => ({ threadId: str(first(args)) });
const saverThread: Describe = (args) => ({ threadId: str(field(args, "threadId")) });
const run: Describe = (args) => ({ runId: str(first(args)) });

/**
 * The methods that write, and where their arguments name the thread, run or trace. A method not
 * listed here reads only and is never announced. `events.append` is missing on purpose: it may
 * only buffer; its turn is announced when `finishTurn` commits it.
 */
export const WRITE_METHODS: { readonly [K in ChangedStore]: Readonly<Record<string, Describe>> } = {
  threads: { save: thread, delete: thread, deleteThread: thread },
  saver: { put: saverThread, putWrites: saverThread, deleteThread: thread },
  runs: {
    createRun: run,
    updateRunStatus: run,
    saveCheckpoint: run,
    appendEvent: (args) => ({ runId: str(field(args, "runId")) }),
    deleteRun: run,
  },
  blobs: { save: (args) => ({ traceId: str(args[1]) }), delete: () => ({}) },
  events: { finishTurn: thread, clear: thread },
  // Only the single-item writes: a batch mostly reads (IndexedDBStore sends every call as one),
  // and a redraw that searches must not announce a change of its own.
  memory: { put: () => ({}), delete: () => ({}) },
};

export function isChangeMessage(data: unknown): data is ChangeMessage {
  if (typeof data !== "object" || data === null) return false;
  const m = data as Partial<ChangeMessage>;
  return m.kind === "idb-checkpoint:change" && typeof m.source === "string" && typeof m.change === "object" && m.change !== null && typeof m.change.store === "string";
}

/**
 * Asks every engine of the database to write its buffered events now (the testing kit's
 * flushEvents). Each engine answers with a FlushedMessage once its write committed.
 */
export interface FlushRequest {
  kind: "idb-checkpoint:flush";
  id: string;
}

export interface FlushedMessage {
  kind: "idb-checkpoint:flushed";
  id: string;
  source: string;
  /** Set when the write failed; the events stay buffered. */
  error?: string;
}

/**
 * A Web Lock each open engine holds until it closes (or its tab dies): whoever asks for a
 * flush learns from navigator.locks.query() how many answers to wait for.
 */
export function engineLockPrefix(storeName: string): string {
  return `idb-checkpoint:${storeName}:engine:`;
}
