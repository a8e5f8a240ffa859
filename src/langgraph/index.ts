/**
 * `idb-checkpoint/langgraph`: LangGraph.js on IndexedDB. The checkpointer here; its store and
 * browser helpers beside it, each in a file of its own.
 */
export { IndexedDBSaver, canonicalJson, type SaverHost, type IndexedDBSaverOptions, type ThreadSummary } from "./saver.js";
export { inNodeContext, installSynchronousContext } from "./node-context.js";
export { runThread, type MultitaskStrategy, type RunThreadOptions, type ThreadRun, type MultitaskSaver } from "./multitask.js";
export { IndexedDBStore, type MemoryHost, type IndexedDBStoreOptions, type IndexedDBStoreIndex, type IndexedDBStoreTtl, type EmbeddingsLike } from "./store.js";
