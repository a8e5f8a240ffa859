import { startPostgres } from "../test/sync-kit/postgres";
import { startSyncServer } from "../test/sync-kit/server";

/**
 * The demo's sync server: a throwaway PostgreSQL cluster and the sync handler over
 * PostgresSaver on http://127.0.0.1:8787/sync, for the token "demo" and every thread. Data lives
 * until the process ends. Run with `npm run demo:sync-server`, then open the demo with
 * ?sync=http://127.0.0.1:8787/sync in two browser profiles.
 */
const port = Number(process.env.SYNC_PORT ?? 8787);
const pg = await startPostgres();
const server = await startSyncServer(pg.url, port, {
  allowOrigin: ["http://localhost:5173", "http://127.0.0.1:5173", "http://localhost:4173", "http://127.0.0.1:4173"],
  authorize: (request) => (request.headers.get("authorization") === "Bearer demo" ? { id: "demo", canRead: () => true, canWrite: () => true } : null),
});
console.log(`sync server on ${server.url} (PostgreSQL on port ${pg.port})`);
console.log(`open http://localhost:5173/?sync=${encodeURIComponent(server.url)} in two browser profiles (npm run demo)`);
const stop = async () => {
  await server.close();
  pg.destroy();
  process.exit(0);
};
process.on("SIGINT", () => void stop());
process.on("SIGTERM", () => void stop());
