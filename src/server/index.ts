/**
 * `idb-checkpoint/server`: the server side of sync, for Node, Deno or a worker runtime; never
 * part of a page's bundle. A fetch-standard handler over any LangGraph checkpointer, and the
 * change feeds it pulls from.
 */
export { createSyncHandler, type SyncHandlerOptions, type SyncCaller } from "./handler.js";
export { watchSaver, type ChangeFeed, type FeedEntry } from "./feed.js";
export { postgresChangeFeed, type PostgresChangeFeed, type Queryable } from "./postgres-feed.js";
export { syncVersions } from "./versions.js";
export { nodeListener } from "./node.js";
export { LIMITS, MEDIA_TYPE, PROTOCOL_VERSION } from "../sync/protocol.js";
