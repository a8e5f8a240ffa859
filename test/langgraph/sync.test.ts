import { afterEach, describe, expect, it } from "vitest";
import * as lg from "@langchain/langgraph";
import { MemorySaver, type CheckpointTuple } from "@langchain/langgraph-checkpoint";
import { HumanMessage } from "@langchain/core/messages";
import { IndexedDBSaver } from "../../src/langgraph/index";
import { createSync, type SyncClient } from "../../src/sync/index";
import { createSyncHandler, syncVersions, watchSaver, type SyncCaller } from "../../src/server/index";
import type { Engine } from "../../worker/index";
import { openTestEngine } from "./engine";
import { buildChatGraph, inspectChat } from "./chat-scenario";

// The protocol end to end in one process: two devices (engines on fake-indexeddb), a server
// handler over MemorySaver, fetch replaced by a direct call to the handler.

const engines: Engine[] = [];
afterEach(async () => {
  await Promise.all(engines.splice(0).map((e) => e.close()));
});

/** Bearer tokens "alice" and "bob"; each may touch the threads that start with its name. */
const authorize = (request: Request): SyncCaller | null => {
  const user = /^Bearer (alice|bob)$/.exec(request.headers.get("authorization") ?? "")?.[1];
  return user ? { id: user, canRead: (t) => t.startsWith(`${user}-`), canWrite: (t) => t.startsWith(`${user}-`) } : null;
};

function server() {
  const saver = syncVersions(new MemorySaver());
  const feed = watchSaver(saver);
  const handler = createSyncHandler({ saver, feed, authorize });
  let online = true;
  const fetch = (async (url: string | URL | Request, init?: RequestInit) => {
    if (!online) throw new TypeError("Failed to fetch");
    return handler(new Request(url, init));
  }) as typeof globalThis.fetch;
  return { saver, handler, fetch, setOnline: (v: boolean) => (online = v) };
}

async function device(fetch: typeof globalThis.fetch, token = "alice", threads?: string[]): Promise<{ engine: Engine; saver: IndexedDBSaver; sync: SyncClient }> {
  const engine = await openTestEngine();
  engines.push(engine);
  const sync = createSync({ store: engine, url: "http://sync.test/api", fetch, headers: () => ({ authorization: `Bearer ${token}` }), threads });
  await engine.sync.enable();
  return { engine, saver: new IndexedDBSaver(engine), sync };
}

const cfg = (thread_id: string) => ({ configurable: { thread_id } });

async function ids(saver: { list(c: unknown): AsyncGenerator<CheckpointTuple> }, thread: string): Promise<string[]> {
  const out: string[] = [];
  for await (const t of saver.list(cfg(thread))) out.push(t.checkpoint.id);
  return out.sort();
}

describe("sync over MemorySaver", () => {
  it("a thread started offline on A, continued by the server's graph, then pulled and continued on B reads the same in all three", async () => {
    const s = server();
    const a = await device(s.fetch);
    const b = await device(s.fetch);
    const thread = "alice-chat";
    s.setOnline(false);
    const graphA = buildChatGraph(lg, a.saver);
    await graphA.invoke({ messages: [new HumanMessage({ id: "h1", content: "hello" })] }, cfg(thread));
    await graphA.invoke(new lg.Command({ resume: "ok" }), cfg(thread));
    await expect(a.sync.syncNow()).rejects.toMatchObject({ status: 0 });
    expect(a.sync.state).toBe("offline");
    s.setOnline(true);
    expect((await a.sync.syncNow()).pushed).toBeGreaterThan(0);
    expect(a.sync.state).toBe("synced");

    const graphServer = buildChatGraph(lg, s.saver);
    expect(await inspectChat(graphServer, thread)).toEqual(await inspectChat(graphA, thread));
    await graphServer.invoke({ messages: [new HumanMessage({ id: "h2", content: "from the server" })] }, cfg(thread));
    await graphServer.invoke(new lg.Command({ resume: "ok" }), cfg(thread));

    const pulled = await b.sync.syncNow();
    expect(pulled.threads).toEqual([thread]);
    const graphB = buildChatGraph(lg, b.saver);
    expect(await inspectChat(graphB, thread)).toEqual(await inspectChat(graphServer, thread));
    await graphB.invoke({ messages: [new HumanMessage({ id: "h3", content: "from B" })] }, cfg(thread));
    await graphB.invoke(new lg.Command({ resume: "ok" }), cfg(thread));
    await b.sync.syncNow();
    await a.sync.syncNow();
    const all = await inspectChat(graphServer, thread);
    expect(await inspectChat(graphA, thread)).toEqual(all);
    expect(await inspectChat(graphB, thread)).toEqual(all);
    expect((await graphA.getState(cfg(thread))).values.messages.map((m: { content: string }) => m.content)).toEqual([
      "hello",
      "Re: hello",
      "from the server",
      "Re: from the server",
      "from B",
      "Re: from B",
    ]);
  });

  it("keeps both branches when two devices continue one thread offline, and both agree on the latest", async () => {
    const s = server();
    const a = await device(s.fetch);
    const b = await device(s.fetch);
    const thread = "alice-branches";
    const graphA = buildChatGraph(lg, a.saver);
    await graphA.invoke({ messages: [new HumanMessage({ id: "h1", content: "start" })] }, cfg(thread));
    await graphA.invoke(new lg.Command({ resume: "ok" }), cfg(thread));
    await a.sync.syncNow();
    await b.sync.syncNow();
    s.setOnline(false);
    const graphB = buildChatGraph(lg, b.saver);
    await graphA.invoke({ messages: [new HumanMessage({ id: "ha", content: "on A" })] }, cfg(thread));
    await graphB.invoke({ messages: [new HumanMessage({ id: "hb", content: "on B" })] }, cfg(thread));
    s.setOnline(true);
    await a.sync.syncNow();
    await b.sync.syncNow();
    await a.sync.syncNow();
    const onServer = await ids(s.saver, thread);
    expect(await ids(a.saver, thread)).toEqual(onServer);
    expect(await ids(b.saver, thread)).toEqual(onServer);
    const latest = (await s.saver.getTuple(cfg(thread)))!.checkpoint.id;
    expect((await a.saver.getTuple(cfg(thread)))!.checkpoint.id).toBe(latest);
    expect((await b.saver.getTuple(cfg(thread)))!.checkpoint.id).toBe(latest);
    // Both branches: a checkpoint with A's message and one with B's.
    const texts = new Set<string>();
    for await (const t of s.saver.list(cfg(thread))) for (const m of (t.checkpoint.channel_values.messages ?? []) as Array<{ content: string }>) texts.add(m.content);
    expect(texts).toContain("on A");
    expect(texts).toContain("on B");
  });

  it("a thread deleted on one device disappears on the other and on the server", async () => {
    const s = server();
    const a = await device(s.fetch);
    const b = await device(s.fetch);
    const graphA = buildChatGraph(lg, a.saver);
    await graphA.invoke({ messages: [new HumanMessage({ id: "h1", content: "bye" })] }, cfg("alice-gone"));
    await graphA.invoke({ messages: [new HumanMessage({ id: "h1", content: "stay" })] }, cfg("alice-kept"));
    await a.sync.syncNow();
    await b.sync.syncNow();
    expect(await ids(b.saver, "alice-gone")).not.toEqual([]);
    await b.saver.deleteThread("alice-gone");
    await b.sync.syncNow();
    expect(await ids(s.saver, "alice-gone")).toEqual([]);
    await a.sync.syncNow();
    expect(await ids(a.saver, "alice-gone")).toEqual([]);
    expect(await ids(a.saver, "alice-kept")).toEqual(await ids(s.saver, "alice-kept"));
    expect(await ids(s.saver, "alice-kept")).not.toEqual([]);
  });

  it("syncs a thread whose state has a field named prototype, and reads it back the same on the other device and the server", async () => {
    const s = server();
    const a = await device(s.fetch);
    const b = await device(s.fetch);
    const thread = "alice-prototype";
    const State = lg.Annotation.Root({ prototype: lg.Annotation<string[]>({ reducer: (x, y) => x.concat(y), default: () => [] }) });
    const build = (saver: IndexedDBSaver | typeof s.saver) =>
      new lg.StateGraph(State).addNode("draft", () => ({ prototype: ["draft"] })).addEdge(lg.START, "draft").compile({ checkpointer: saver });
    await build(a.saver).invoke({ prototype: ["idea"] }, cfg(thread));
    expect((await a.sync.syncNow()).pushed).toBeGreaterThan(0);
    expect((await b.sync.syncNow()).threads).toEqual([thread]);
    const expected = (await build(a.saver).getState(cfg(thread))).values;
    expect(expected).toEqual({ prototype: ["idea", "draft"] });
    expect((await build(b.saver).getState(cfg(thread))).values).toEqual(expected);
    expect((await build(s.saver).getState(cfg(thread))).values).toEqual(expected);
  });

  it("syncs only the threads the app names", async () => {
    const s = server();
    const a = await device(s.fetch, "alice", ["alice-1"]);
    const graphA = buildChatGraph(lg, a.saver);
    await graphA.invoke({ messages: [new HumanMessage({ id: "h1", content: "one" })] }, cfg("alice-1"));
    await graphA.invoke({ messages: [new HumanMessage({ id: "h1", content: "two" })] }, cfg("alice-2"));
    await a.sync.syncNow();
    expect(await ids(s.saver, "alice-1")).toEqual(await ids(a.saver, "alice-1"));
    expect(await ids(s.saver, "alice-2")).toEqual([]);
  });

  it("refuses another user's threads with 403, and a missing or wrong token with 401, storing nothing", async () => {
    const s = server();
    const mallory = await device(s.fetch, "bob");
    await buildChatGraph(lg, mallory.saver).invoke({ messages: [new HumanMessage({ id: "h", content: "x" })] }, cfg("alice-stolen"));
    await expect(mallory.sync.syncNow()).rejects.toMatchObject({ status: 403 });
    expect(mallory.sync.state).toBe("refused");
    const nobody = await device(s.fetch, "eve");
    await expect(nobody.sync.syncNow()).rejects.toMatchObject({ status: 401 });
    expect(await ids(s.saver, "alice-stolen")).toEqual([]);
    const pullOther = createSync({ store: mallory.engine, url: "http://sync.test/api", fetch: s.fetch, headers: () => ({ authorization: "Bearer bob" }), threads: ["alice-chat"] });
    await expect(pullOther.pull()).rejects.toMatchObject({ status: 403 });
  });
});
