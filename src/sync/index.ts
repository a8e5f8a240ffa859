/**
 * `idb-checkpoint/sync`: the browser side of sync. A client that exchanges a store's LangGraph
 * threads with a server running `idb-checkpoint/server`, offline-first.
 */
export { createSync, SyncClient, SyncError, type SyncOptions, type SyncState, type SyncProgress, type SyncResult } from "./client.js";
export { PROTOCOL_VERSION, MEDIA_TYPE, LIMITS } from "./protocol.js";
