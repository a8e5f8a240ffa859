export { openStore, type OpenStoreOptions, type Store } from "./client.js";
export { StoreError, isStoreError, ERROR_CODES, type ErrorCode } from "./errors.js";
export { TypedCheckpointStore, type TypedCheckpoint } from "./typed-store.js";
export { jsonCodec } from "./json-codec.js";
export type { Codec } from "./codec.js";
export * from "./types.js";
export { withThreadLock, isThreadBusy, threadLockName, threadLocksSpanTabs, type ThreadLockOptions, type ThreadLockInfo } from "./thread-lock.js";
export { requestPersistence, type Persistence, type PersistenceState, type RequestPersistenceOptions } from "./request-persistence.js";
