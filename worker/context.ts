import type { Database } from "./db.js";
import type { Payloads } from "./payload/index.js";

/** What every store of one engine shares: the connection and the payload module. */
export interface EngineContext {
  db: Database;
  payloads: Payloads;
  /** Milliseconds since the epoch; a seam for tests. */
  now(): number;
}
