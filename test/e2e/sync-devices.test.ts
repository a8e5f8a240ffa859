import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as lg from "@langchain/langgraph";
import { HumanMessage } from "@langchain/core/messages";
import type { SyncServer } from "../sync-kit/server";
import type { Device } from "../sync-kit/harness";
import { startSyncRig, type SyncRig } from "../sync-kit/rig";
import { buildChatGraph, inspectChat } from "../langgraph/chat-scenario";

/**
 * Two devices (two Chromium profiles) and a server-side LangGraph graph on PostgresSaver share
 * threads through the sync server: what each reads through getState and getStateHistory is the
 * same, concurrent offline work is kept as two branches, and a delete travels everywhere.
 */

let rig: SyncRig;
let server: SyncServer;
let a: Device;
let b: Device;
let serverIds: SyncRig["serverIds"];

beforeAll(async () => {
  rig = await startSyncRig();
  ({ server, a, b, serverIds } = rig);
});

afterAll(async () => {
  await rig?.close();
});

const cfg = (thread_id: string) => ({ configurable: { thread_id } });

const sync = async (d: Device) => {
  const r = await d.page.evaluate(() => window.device.sync());
  expect(r).toMatchObject({ ok: true });
  return r;
};

describe("sync between two browser profiles and a server graph on PostgresSaver", () => {
  it("a thread started offline on A, synced, continued by the server's graph, then pulled and continued on B reads the same on all three", async () => {
    const thread = "alice-trip";
    await a.context.setOffline(true);
    await a.page.evaluate((t) => window.device.say(t, "hello from A"), thread);
    expect(await a.page.evaluate(() => window.device.sync())).toMatchObject({ ok: false, status: 0 });
    expect(await a.page.evaluate(() => window.device.state())).toBe("offline");
    await a.context.setOffline(false);
    await sync(a);
    expect(await a.page.evaluate(() => window.device.state())).toBe("synced");
    expect(await serverIds(thread)).toEqual(await a.page.evaluate((t) => window.device.ids(t), thread));

    const graph = buildChatGraph(lg, server.saver);
    expect(await inspectChat(graph, thread)).toEqual(await a.page.evaluate((t) => window.device.inspect(t), thread));
    await graph.invoke({ messages: [new HumanMessage({ id: "h-server", content: "from the server" })] }, cfg(thread));
    await graph.invoke(new lg.Command({ resume: "ok" }), cfg(thread));

    await sync(b);
    expect(await b.page.evaluate((t) => window.device.inspect(t), thread)).toEqual(await inspectChat(graph, thread));
    await b.page.evaluate((t) => window.device.say(t, "and from B"), thread);
    await sync(b);
    await sync(a);
    const expected = await inspectChat(graph, thread);
    expect(await a.page.evaluate((t) => window.device.inspect(t), thread)).toEqual(expected);
    expect(await b.page.evaluate((t) => window.device.inspect(t), thread)).toEqual(expected);
    expect(await a.page.evaluate((t) => window.device.messages(t), thread)).toEqual([
      "hello from A",
      "Re: hello from A",
      "from the server",
      "Re: from the server",
      "and from B",
      "Re: and from B",
    ]);
  });

  it("keeps both branches when both devices continue one thread offline, and both agree on the latest", async () => {
    const thread = "alice-split";
    await a.page.evaluate((t) => window.device.say(t, "common start"), thread);
    await sync(a);
    await sync(b);
    await a.context.setOffline(true);
    await b.context.setOffline(true);
    await a.page.evaluate((t) => window.device.say(t, "A alone"), thread);
    await b.page.evaluate((t) => window.device.say(t, "B alone"), thread);
    await a.context.setOffline(false);
    await b.context.setOffline(false);
    await sync(a);
    await sync(b);
    await sync(a);
    const all = await serverIds(thread);
    expect(await a.page.evaluate((t) => window.device.ids(t), thread)).toEqual(all);
    expect(await b.page.evaluate((t) => window.device.ids(t), thread)).toEqual(all);
    const latest = (await server.saver.getTuple(cfg(thread)))!.checkpoint.id;
    expect(await a.page.evaluate((t) => window.device.latest(t), thread)).toBe(latest);
    expect(await b.page.evaluate((t) => window.device.latest(t), thread)).toBe(latest);
    const { rows } = await server.pool.query("SELECT count(*) AS n FROM checkpoint_blobs WHERE thread_id = $1 AND channel = 'messages'", [thread]);
    expect(Number(rows[0].n)).toBeGreaterThan(0);
    // Each branch's reply is on the server.
    const texts: string[] = [];
    for await (const t of server.saver.list(cfg(thread))) for (const m of (t.checkpoint.channel_values.messages ?? []) as Array<{ content: string }>) texts.push(m.content);
    expect(texts).toContain("Re: A alone");
    expect(texts).toContain("Re: B alone");
  });

  it("a thread deleted on one device disappears on the other and on the server", async () => {
    const thread = "alice-forget";
    await a.page.evaluate((t) => window.device.say(t, "forget me"), thread);
    await sync(a);
    await sync(b);
    expect(await b.page.evaluate((t) => window.device.ids(t), thread)).not.toEqual([]);
    await b.page.evaluate((t) => window.device.deleteThread(t), thread);
    await sync(b);
    expect(await serverIds(thread)).toEqual([]);
    await sync(a);
    expect(await a.page.evaluate((t) => window.device.ids(t), thread)).toEqual([]);
    // Other threads are untouched.
    expect(await a.page.evaluate((t) => window.device.ids(t), "alice-trip")).toEqual(await serverIds("alice-trip"));
  });
});
