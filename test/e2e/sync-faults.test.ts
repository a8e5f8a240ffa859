import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Postgres } from "../sync-kit/postgres";
import type { SyncServer } from "../sync-kit/server";
import type { Device } from "../sync-kit/harness";
import { startSyncRig, type SyncRig } from "../sync-kit/rig";

/**
 * Sync interrupted at every level: requests cut before they reach the server and answers lost
 * after it applied them (Playwright routing), the sync server restarted and PostgreSQL
 * restarted mid-sync. After the next sync every checkpoint a device has is on the server, stored
 * once (its insert appears once in the change feed), and a device that pulled has them all.
 */

let rig: SyncRig;
let pg: Postgres;
let server: SyncServer;
let a: Device;
let b: Device;
let serverIds: SyncRig["serverIds"];

beforeAll(async () => {
  // Small batches and pages, so a sync takes several requests and can be cut between them.
  rig = await startSyncRig({ batchChanges: 5, pullLimit: 5 });
  ({ pg, server, a, b, serverIds } = rig);
});

afterAll(async () => {
  await rig?.close();
});

/** Checkpoints whose insert the feed saw more than once: a second copy would have been a second insert. */
async function insertedTwice(): Promise<unknown[]> {
  const { rows } = await server.pool.query(
    "SELECT thread_id, checkpoint_ns, checkpoint_id FROM idb_sync_feed WHERE kind = 'checkpoint' GROUP BY 1, 2, 3 HAVING count(*) > 1",
  );
  return rows;
}

const ids = (d: Device, thread: string) => d.page.evaluate((t) => window.device.ids(t), thread);
const sync = (d: Device) => d.page.evaluate(() => window.device.sync());
const say = (d: Device, thread: string, text: string) => d.page.evaluate(([t, x]) => window.device.say(t, x), [thread, text] as const);

describe("sync interrupted", () => {
  it("a push cut before the server and one whose answer was lost after it: after the next sync, every checkpoint is on the server once", async () => {
    const thread = "alice-cut-push";
    for (let i = 0; i < 3; i++) await say(a, thread, `turn ${i}`);
    let pushes = 0;
    await a.page.route(`${server.url}/push`, async (route) => {
      pushes++;
      if (pushes === 2) return route.abort("connectionreset");
      if (pushes === 4) {
        await route.fetch(); // the server applies the batch; the device never hears of it
        return route.abort("connectionreset");
      }
      return route.continue();
    });
    expect(await sync(a)).toMatchObject({ ok: false, status: 0 });
    expect(await sync(a)).toMatchObject({ ok: false, status: 0 });
    expect(pushes).toBeGreaterThanOrEqual(4);
    await a.page.unroute(`${server.url}/push`);
    expect(await sync(a)).toMatchObject({ ok: true });
    const local = await ids(a, thread);
    expect(local.length).toBeGreaterThan(10);
    expect(await serverIds(thread)).toEqual(local);
    expect(await insertedTwice()).toEqual([]);
  });

  it("a pull cut before the server and one whose answer was lost: the next sync brings everything, once", async () => {
    const thread = "alice-cut-push";
    let pulls = 0;
    await b.page.route(`${server.url}/pull`, async (route) => {
      pulls++;
      if (pulls === 2) {
        await route.fetch();
        return route.abort("connectionreset");
      }
      if (pulls === 4) return route.abort("connectionreset");
      return route.continue();
    });
    expect(await sync(b)).toMatchObject({ ok: false, status: 0 });
    expect(await sync(b)).toMatchObject({ ok: false, status: 0 });
    await b.page.unroute(`${server.url}/pull`);
    expect(await sync(b)).toMatchObject({ ok: true });
    expect(await ids(b, thread)).toEqual(await serverIds(thread));
    expect(await b.page.evaluate((t) => window.device.inspect(t), thread)).toEqual(await a.page.evaluate((t) => window.device.inspect(t), thread));
  });

  it("the sync server restarted in the middle of a sync: the next sync completes it", async () => {
    const thread = "alice-server-restart";
    for (let i = 0; i < 3; i++) await say(a, thread, `turn ${i}`);
    const during = sync(a);
    await new Promise((r) => setTimeout(r, 30));
    await server.restart();
    await during; // either finished before the restart or cut by it
    expect(await sync(a)).toMatchObject({ ok: true });
    expect(await serverIds(thread)).toEqual(await ids(a, thread));
    expect(await insertedTwice()).toEqual([]);
  });

  it("PostgreSQL restarted in the middle of a sync: refused with 503 or completed, and the next sync completes it", async () => {
    const thread = "alice-pg-restart";
    for (let i = 0; i < 3; i++) await say(a, thread, `turn ${i}`);
    const during = sync(a);
    await new Promise((r) => setTimeout(r, 30));
    pg.restart();
    const first = await during;
    if (!first.ok) expect([0, 503]).toContain(first.status);
    let next = await sync(a);
    // The pool notices dropped connections on their next use: one more try gets fresh ones.
    if (!next.ok) next = await sync(a);
    expect(next).toMatchObject({ ok: true });
    expect(await serverIds(thread)).toEqual(await ids(a, thread));
    expect(await insertedTwice()).toEqual([]);
    expect(await sync(b)).toMatchObject({ ok: true });
    expect(await ids(b, thread)).toEqual(await serverIds(thread));
  });
});
