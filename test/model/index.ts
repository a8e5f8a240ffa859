import type { Stores } from "../../src/types";
import { MemoryThreads } from "./memory-threads";
import { MemoryRuns } from "./memory-runs";
import { MemorySaver } from "./memory-saver";
import { MemoryBlobs } from "./memory-blobs";
import { MemoryEvents } from "./memory-events";

/**
 * A plain in-memory model of the five contracts: what each method must answer, with none of the
 * library's storage, worker or payload machinery. (The memory store's model is LangGraph's own
 * InMemoryStore, in its differential test.) The differential fuzz test runs every call
 * against it and against the library and compares the answers.
 */
export function createModel(): Omit<Stores, "memory"> {
  return {
    threads: new MemoryThreads(),
    saver: new MemorySaver(),
    runs: new MemoryRuns(),
    blobs: new MemoryBlobs(),
    events: new MemoryEvents(),
    async flush() {},
    async close() {},
  };
}
