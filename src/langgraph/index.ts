/**
 * `idb-checkpoint/langgraph`: LangGraph.js on IndexedDB. The checkpointer here; its store and
 * browser helpers beside it, each in a file of its own.
 */
export { IndexedDBSaver, canonicalJson, type SaverHost, type IndexedDBSaverOptions } from "./saver.js";
export { IndexedDBStore, type MemoryHost, type IndexedDBStoreOptions, type IndexedDBStoreIndex, type IndexedDBStoreTtl, type EmbeddingsLike } from "./store.js";
