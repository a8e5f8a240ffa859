import { afterAll, beforeAll, expect, it } from "vitest";
import { startPostgres, type Postgres } from "../sync-kit/postgres";
import { startSyncServer, type SyncServer } from "../sync-kit/server";
import { openDevice, startPageServer, type Device } from "../sync-kit/harness";

/**
 * The sync bench: the bench's 200-turn chat (test/bench/chat-workload.ts) made in Chromium,
 * then synced to the server on PostgresSaver, then pulled into a fresh store. Prints the time
 * of each sync and the bytes on the wire (everything the server's sockets read and wrote:
 * bodies, headers, framing) against the bytes IndexedDB holds for the chat. Target: wire <= 1.5x stored.
 * SYNC_BENCH_TURNS sets the number of turns: `npm run bench:sync` runs 200; inside `npm test` the
 * same checks run on 40 turns, which take seconds instead of minutes.
 */
const TURNS = Number(process.env.SYNC_BENCH_TURNS ?? 40);

const round = (x: number, digits = 2) => Number(x.toFixed(digits));
const ratio = (a: number, b: number) => round(a / b, 2);

function printTable(title: string, rows: Array<Record<string, unknown>>): void {
  const cols = Object.keys(rows[0]);
  const cells = rows.map((r) => cols.map((c) => String(r[c] ?? "")));
  const widths = cols.map((c, i) => Math.max(c.length, ...cells.map((r) => r[i].length)));
  const line = (vals: string[]) => vals.map((v, i) => v.padStart(widths[i])).join("  ");
  console.log([`\n${title}`, line(cols), line(widths.map((w) => "-".repeat(w))), ...cells.map(line)].join("\n"));
}

let pg: Postgres;
let server: SyncServer;
let pages: Awaited<ReturnType<typeof startPageServer>>;
let device: Device;

beforeAll(async () => {
  pg = await startPostgres();
  pages = await startPageServer();
  server = await startSyncServer(pg.url, 0, { allowOrigin: pages.origin });
  device = await openDevice(pages.url, server.url, "token-chat");
});

afterAll(async () => {
  await device?.close();
  await server?.close();
  await pages?.close();
  pg?.destroy();
});

it(`syncs the ${TURNS}-turn chat with at most 1.5x its stored bytes on the wire, each way`, async () => {
  const before = server.wire();
  const push = await device.page.evaluate(([turns, url]) => window.device.benchPush("bench-chat-a", turns, url, "token-chat"), [TURNS, server.url] as const);
  const afterPush = server.wire();
  const pull = await device.page.evaluate((url) => window.device.benchPull("bench-chat-b", url, "token-chat"), server.url);
  const afterPull = server.wire();
  const pushWire = afterPush.read - before.read + afterPush.written - before.written;
  const pullWire = afterPull.read - afterPush.read + afterPull.written - afterPush.written;
  const { rows } = await server.pool.query("SELECT count(*) AS n FROM checkpoints WHERE thread_id = 'chat-plain'");
  const KiB = (n: number) => round(n / 1024, 1);
  printTable(`sync of the ${TURNS}-turn chat (target: wire/stored <= 1.5)`, [
    { direction: "push", checkpoints: push.pushed, ms: round(push.ms), "stored KiB": KiB(push.stored), "wire KiB": KiB(pushWire), "wire/stored": ratio(pushWire, push.stored), "ms per checkpoint": round(push.ms / Number(rows[0].n), 2) },
    { direction: "pull", checkpoints: pull.pulled, ms: round(pull.ms), "stored KiB": KiB(pull.stored), "wire KiB": KiB(pullWire), "wire/stored": ratio(pullWire, push.stored), "ms per checkpoint": round(pull.ms / Number(rows[0].n), 2) },
  ]);
  expect(Number(rows[0].n)).toBe(push.puts);
  expect(pull.messages).toBe(push.messages);
  expect(pushWire / push.stored).toBeLessThanOrEqual(1.5);
  expect(pullWire / push.stored).toBeLessThanOrEqual(1.5);
}, 1_200_000);
