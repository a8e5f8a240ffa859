import type { Database } from "./db.js";
import type { Payloads } from "./payload.js";
import type { Limits } from "./limits.js";
import type { ChangeOrigin } from "./saver-changes.js";

/** What every store of one engine shares: the connection and the payload module. */
export interface EngineContext {
  db: Database;
  payloads: Payloads;
  /** Milliseconds since the epoch; a seam for tests. */
  now(): number;
  /** Size caps of events and metadata. */
  limits: Limits;
  /** Whose writes these are, for the sync change log; absent: the app's own ("local"). */
  changeOrigin?: ChangeOrigin;
}
