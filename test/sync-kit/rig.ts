import { startPostgres, type Postgres } from "./postgres";
import { startSyncServer, type SyncServer } from "./server";
import { openDevice, startPageServer, type Device } from "./harness";

/**
 * What the sync suites run against: a throwaway PostgreSQL, the sync server over it, the device
 * page's server, and two devices (two Chromium profiles) of the same user.
 */
export interface SyncRig {
  pg: Postgres;
  server: SyncServer;
  a: Device;
  b: Device;
  /** The checkpoint ids PostgresSaver holds for the thread, in id order. */
  serverIds(thread: string): Promise<string[]>;
  close(): Promise<void>;
}

export async function startSyncRig(deviceOptions: Record<string, unknown> = {}): Promise<SyncRig> {
  const pg = await startPostgres();
  const pages = await startPageServer();
  const server = await startSyncServer(pg.url, 0, { allowOrigin: pages.origin });
  const a = await openDevice(pages.url, server.url, "token-alice", deviceOptions);
  const b = await openDevice(pages.url, server.url, "token-alice", deviceOptions);
  return {
    pg,
    server,
    a,
    b,
    async serverIds(thread) {
      const { rows } = await server.pool.query("SELECT checkpoint_id FROM checkpoints WHERE thread_id = $1 ORDER BY checkpoint_id", [thread]);
      return rows.map((r) => r.checkpoint_id as string);
    },
    async close() {
      await a.close();
      await b.close();
      await server.close();
      await pages.close();
      pg.destroy();
    },
  };
}
