import { ProtocolError } from "../sync/protocol.js";
import type { ChangeFeed, FeedEntry } from "./feed.js";

/** What the feed needs of a `pg` Pool (or Client): nothing else of the driver is used. */
export interface Queryable {
  query(text: string, params?: unknown[]): Promise<{ rows: any[] }>;
}

export interface PostgresChangeFeed extends ChangeFeed {
  /** Creates the feed table and the triggers on PostgresSaver's tables; run it after the saver's own setup(). */
  setup(): Promise<void>;
}

/** Any constant: the advisory lock every feed insert takes, so seq order is commit order. */
const LOCK_KEY = 7_346_512_001;

/**
 * The change feed of a PostgresSaver database, kept by triggers on its tables: a new checkpoint,
 * a new or replaced write, a deleted thread each add a row, whoever wrote them (the handler, a
 * graph on the server, a script). Feed rows take an advisory lock until their transaction
 * commits, so sequence numbers become visible in order and a reader never steps over one that
 * commits later.
 */
export function postgresChangeFeed(pool: Queryable, options: { schema?: string } = {}): PostgresChangeFeed {
  const schema = options.schema ?? "public";
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(schema)) throw new TypeError(`schema must be a plain identifier, got ${JSON.stringify(schema)}`);
  const t = (name: string) => `"${schema}".${name}`;
  return {
    async setup() {
      await pool.query(`
        CREATE TABLE IF NOT EXISTS ${t("idb_sync_feed")} (
          seq BIGSERIAL PRIMARY KEY,
          kind TEXT NOT NULL,
          thread_id TEXT NOT NULL,
          checkpoint_ns TEXT,
          checkpoint_id TEXT
        );
        CREATE OR REPLACE FUNCTION ${t("idb_sync_row")}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          PERFORM pg_advisory_xact_lock(${LOCK_KEY});
          INSERT INTO ${t("idb_sync_feed")} (kind, thread_id, checkpoint_ns, checkpoint_id)
            VALUES (TG_ARGV[0], NEW.thread_id, NEW.checkpoint_ns, NEW.checkpoint_id);
          RETURN NULL;
        END $$;
        CREATE OR REPLACE FUNCTION ${t("idb_sync_deleted")}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          PERFORM pg_advisory_xact_lock(${LOCK_KEY});
          INSERT INTO ${t("idb_sync_feed")} (kind, thread_id) SELECT DISTINCT 'tombstone', thread_id FROM gone;
          RETURN NULL;
        END $$;
        DROP TRIGGER IF EXISTS idb_sync_checkpoint ON ${t("checkpoints")};
        CREATE TRIGGER idb_sync_checkpoint AFTER INSERT ON ${t("checkpoints")}
          FOR EACH ROW EXECUTE FUNCTION ${t("idb_sync_row")}('checkpoint');
        DROP TRIGGER IF EXISTS idb_sync_writes ON ${t("checkpoint_writes")};
        CREATE TRIGGER idb_sync_writes AFTER INSERT OR UPDATE ON ${t("checkpoint_writes")}
          FOR EACH ROW EXECUTE FUNCTION ${t("idb_sync_row")}('writes');
        DROP TRIGGER IF EXISTS idb_sync_deleted ON ${t("checkpoints")};
        CREATE TRIGGER idb_sync_deleted AFTER DELETE ON ${t("checkpoints")}
          REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION ${t("idb_sync_deleted")}();
      `);
    },

    async read(cursor, limit) {
      const after = cursor === undefined ? "0" : cursor;
      if (!/^\d{1,18}$/.test(after)) throw new ProtocolError("cursor is not one this server gave");
      const { rows } = await pool.query(
        `SELECT seq, kind, thread_id, checkpoint_ns, checkpoint_id FROM ${t("idb_sync_feed")} WHERE seq > $1 ORDER BY seq LIMIT $2`,
        [after, limit],
      );
      // node-postgres hands a bigint over as a string: the cursor keeps all its digits.
      return rows.map((r): FeedEntry =>
        r.kind === "tombstone"
          ? { cursor: String(r.seq), kind: "tombstone", threadId: r.thread_id }
          : { cursor: String(r.seq), kind: r.kind, threadId: r.thread_id, ns: r.checkpoint_ns, checkpointId: r.checkpoint_id },
      );
    },
  };
}
