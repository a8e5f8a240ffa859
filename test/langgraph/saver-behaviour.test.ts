import { afterEach, describe, expect, it } from "vitest";
import {
  MemorySaver,
  compareChannelVersions,
  emptyCheckpoint,
  uuid6,
  type BaseCheckpointSaver,
  type Checkpoint,
  type CheckpointTuple,
  type SerializerProtocol,
} from "@langchain/langgraph-checkpoint";
import type { RunnableConfig } from "@langchain/core/runnables";
import { AIMessage, HumanMessage, ToolMessage } from "@langchain/core/messages";
import { IndexedDBSaver, IndexedDBStore } from "../../src/langgraph/index";
import type { Engine } from "../../worker/index";
import { countRows, openTestEngine } from "./engine";
import { uniqueName } from "../conformance/backend";
import { expectCode } from "../conformance/expect-code";

// What LangGraph's suite does not check: list order, writes before put, special/regular write
// semantics, write order with task paths, type-tag round trips, and deleteThread leaving nothing.

const meta = (step: number, extra: Record<string, unknown> = {}) => ({ source: "loop" as const, step, parents: {}, ...extra });

function checkpoint(values: Record<string, unknown> = {}, versions: Record<string, number> = {}): Checkpoint {
  return { ...emptyCheckpoint(), id: uuid6(-1), channel_values: values, channel_versions: versions };
}

async function collect(gen: AsyncGenerator<CheckpointTuple>): Promise<CheckpointTuple[]> {
  const out: CheckpointTuple[] = [];
  for await (const t of gen) out.push(t);
  return out;
}

const cfg = (thread_id: string, checkpoint_ns = "", checkpoint_id?: string): RunnableConfig => ({
  configurable: { thread_id, checkpoint_ns, ...(checkpoint_id ? { checkpoint_id } : {}) },
});

describe("IndexedDBSaver beyond LangGraph's suite", () => {
  const engines: Engine[] = [];
  afterEach(async () => {
    await Promise.all(engines.splice(0).map((e) => e.close()));
  });
  async function fresh(serde?: SerializerProtocol): Promise<{ saver: IndexedDBSaver; name: string }> {
    const name = uniqueName("lg-behaviour");
    const engine = await openTestEngine(name);
    engines.push(engine);
    return { saver: new IndexedDBSaver(engine, { serde }), name };
  }

  it("lists newest first across threads and namespaces, also with a limit, and honours checkpoint_id", async () => {
    const { saver } = await fresh();
    const ids: string[] = [];
    for (const [thread, ns] of [["b", ""], ["a", "sub:1"], ["c", ""], ["a", ""], ["b", "sub:2"]]) {
      const c = checkpoint();
      ids.push(c.id);
      await saver.put(cfg(thread, ns), c, meta(ids.length), {});
    }
    const newestFirst = [...ids].reverse();
    const listed = (await collect(saver.list({}))).map((t) => t.checkpoint.id);
    expect(listed).toEqual(newestFirst);
    expect((await collect(saver.list({}, { limit: 2 }))).map((t) => t.checkpoint.id)).toEqual(newestFirst.slice(0, 2));
    const threadA = (await collect(saver.list({ configurable: { thread_id: "a" } }))).map((t) => t.config.configurable?.checkpoint_ns);
    expect(threadA).toEqual(["", "sub:1"]);
    const one = await collect(saver.list({ configurable: { checkpoint_id: ids[2] } }));
    expect(one.map((t) => t.checkpoint.id)).toEqual([ids[2]]);
  });

  it("matches nested metadata filters by value", async () => {
    const { saver } = await fresh();
    await saver.put(cfg("t"), checkpoint(), meta(1, { user: { id: 7, tags: ["x"] } }), {});
    await saver.put(cfg("t"), checkpoint(), meta(2, { user: { id: 8, tags: ["x"] } }), {});
    const found = await collect(saver.list({}, { filter: { user: { tags: ["x"], id: 7 } } }));
    expect(found.map((t) => t.metadata?.step)).toEqual([1]);
  });

  it("keeps writes that arrive before their checkpoint, and concurrent writes for one checkpoint", async () => {
    const { saver } = await fresh();
    const c = checkpoint();
    const target = cfg("t", "", c.id);
    await Promise.all([saver.putWrites(target, [["x", 1]], "task-1"), saver.putWrites(target, [["x", 2]], "task-2")]);
    const put = saver.put(cfg("t"), c, meta(0), {});
    await saver.putWrites(target, [["x", 3]], "task-3");
    await put;
    const t = await saver.getTuple(target);
    expect(t?.pendingWrites).toEqual([
      ["task-1", "x", 1],
      ["task-2", "x", 2],
      ["task-3", "x", 3],
    ]);
  });

  it("keeps the first regular write of a task and lets special writes replace, in mixed batches", async () => {
    const { saver } = await fresh();
    const c = checkpoint();
    await saver.put(cfg("t"), c, meta(0), {});
    const target = cfg("t", "", c.id);
    await saver.putWrites(target, [["__resume__", "first"], ["v", "a"]], "task");
    await saver.putWrites(target, [["__resume__", "second"], ["v", "b"], ["__error__", { message: "boom" }]], "task");
    const t = await saver.getTuple(target);
    expect(t?.pendingWrites).toEqual([
      ["task", "__resume__", "second"],
      ["task", "__error__", { message: "boom" }],
      ["task", "v", "a"],
    ]);
  });

  it("returns writes in writesSortKey order with task paths, exactly as MemorySaver does", async () => {
    const { saver } = await fresh();
    const memory = new MemorySaver();
    const c = checkpoint();
    const batches: Array<[string, string | undefined, Array<[string, unknown]>]> = [
      ["t-9", "~__pregel_pull, b", [["m", "b0"], ["m", "b1"]]],
      ["t-1", "~__pregel_pull, \u{1F600}", [["m", "emoji"]]],
      ["t-5", "~__pregel_pull, \uFF5E", [["m", "fullwidth"]]],
      ["t-3", undefined, [["m", "input"]]],
      ["t-2", "~__pregel_pull, a", [["m", "a0"]]],
      ["t-0", "~__pregel_pull, a", [["m", "a-earlier-task"]]],
    ];
    for (const s of [saver, memory] as BaseCheckpointSaver[]) {
      await s.put(cfg("t"), c, meta(0), {});
      for (const [task, path, writes] of batches) await s.putWrites(cfg("t", "", c.id), writes, task, path);
    }
    const ours = (await saver.getTuple(cfg("t", "", c.id)))?.pendingWrites;
    expect(ours?.map((w) => w[2])).toEqual(["input", "a-earlier-task", "a0", "b0", "b1", "fullwidth", "emoji"]);
    expect(ours).toEqual((await memory.getTuple(cfg("t", "", c.id)))?.pendingWrites);
  });

  it("round-trips Uint8Array, Map, Set, undefined and LangChain messages in values and writes", async () => {
    const { saver } = await fresh();
    const value = {
      bytes: new Uint8Array([0, 1, 254, 255]),
      map: new Map<string, unknown>([["k", new Set([1, 2])]]),
      nothing: undefined,
      messages: [
        new HumanMessage({ content: "hi", id: "h1" }),
        new AIMessage({ content: "", id: "a1", tool_calls: [{ id: "call-1", name: "search", args: { q: "x" } }] }),
        new ToolMessage({ content: "result", tool_call_id: "call-1", id: "t1" }),
      ],
    };
    const raw = new Uint8Array([9, 8, 7]);
    const c = checkpoint({ state: value, raw }, { state: 1, raw: 1 });
    await saver.put(cfg("t"), c, meta(0), { state: 1, raw: 1 });
    await saver.putWrites(cfg("t", "", c.id), [["state", value], ["raw", raw]], "task");
    const t = await saver.getTuple(cfg("t"));
    for (const got of [t?.checkpoint.channel_values.state, t?.pendingWrites?.[0][2]] as Array<typeof value>) {
      expect(got.bytes).toBeInstanceOf(Uint8Array);
      expect([...got.bytes]).toEqual([0, 1, 254, 255]);
      expect(got.map).toBeInstanceOf(Map);
      expect(got.map.get("k")).toEqual(new Set([1, 2]));
      expect("nothing" in got && got.nothing === undefined).toBe(true);
      expect(got.messages.map((m) => m.constructor.name)).toEqual(["HumanMessage", "AIMessage", "ToolMessage"]);
      expect((got.messages[1] as AIMessage).tool_calls?.[0]).toMatchObject({ id: "call-1", name: "search", args: { q: "x" } });
      expect(got.messages.map((m) => m.id)).toEqual(["h1", "a1", "t1"]);
    }
    expect(t?.checkpoint.channel_values.raw).toEqual(raw);
    expect(t?.pendingWrites?.[1][2]).toEqual(raw);
  });

  it("hands the serde back the type tag it wrote", async () => {
    // A serde with a tag of its own: a store that dropped tags (MemorySaver does) would fail here.
    const tags: string[] = [];
    const serde: SerializerProtocol = {
      async dumpsTyped(data) {
        return ["x-custom", new TextEncoder().encode(JSON.stringify({ wrapped: data ?? null }))];
      },
      async loadsTyped(type, data) {
        tags.push(type);
        if (type !== "x-custom") throw new Error(`unexpected type ${type}`);
        return JSON.parse(typeof data === "string" ? data : new TextDecoder().decode(data)).wrapped;
      },
    };
    const { saver } = await fresh(serde);
    const c = checkpoint({ a: "A" }, { a: 1 });
    await saver.put(cfg("t"), c, meta(0), { a: 1 });
    await saver.putWrites(cfg("t", "", c.id), [["a", "W"]], "task");
    const t = await saver.getTuple(cfg("t"));
    expect(t?.checkpoint.channel_values).toEqual({ a: "A" });
    expect(t?.pendingWrites).toEqual([["task", "a", "W"]]);
    expect(new Set(tags)).toEqual(new Set(["x-custom"]));
  });

  it("stores a channel value once however many checkpoints carry it", async () => {
    const { saver, name } = await fresh();
    const big = "x".repeat(10_000);
    const c1 = checkpoint({ big }, { big: 1 });
    await saver.put(cfg("t"), c1, meta(1), { big: 1 });
    const after1 = await countRows(name);
    const c2 = checkpoint({ big }, { big: 1 });
    await saver.put(cfg("t", "", c1.id), c2, meta(2), {});
    const after2 = await countRows(name);
    // The second checkpoint adds its header and index rows (its small header bytes travel in the
    // header row) and nothing for the carried channel.
    expect(after2.blobs - after1.blobs).toBe(0);
    expect(after2.meta - after1.meta).toBe(3);
    expect((await saver.getTuple(cfg("t")))?.checkpoint.channel_values).toEqual({ big });
  });

  it("returns channel values that have no version, and accepts put without newVersions, as MemorySaver does", async () => {
    const { saver } = await fresh();
    const memory = new MemorySaver();
    // __pregel_tasks and messages carry values but no version, as LangGraph writes them before
    // anything has been sent or said; "a" has a version but is not named as new in the 2nd put.
    const first = checkpoint({ a: "A", __pregel_tasks: [], messages: [] }, { a: 1 });
    const second = checkpoint({ a: "A", b: "B", __pregel_tasks: [] }, { a: 1, b: 2 });
    for (const s of [saver, memory] as BaseCheckpointSaver[]) {
      const parent = await s.put(cfg("t"), first, meta(0), { a: 1 });
      // The three-argument call subclasses make with super.put(config, checkpoint, metadata).
      await (s.put as (c: RunnableConfig, cp: Checkpoint, m: ReturnType<typeof meta>) => Promise<RunnableConfig>)(parent, second, meta(1));
    }
    for (const id of [first.id, second.id]) {
      const ours = await saver.getTuple(cfg("t", "", id));
      expect(ours?.checkpoint).toEqual((await memory.getTuple(cfg("t", "", id)))?.checkpoint);
    }
    expect((await saver.getTuple(cfg("t", "", first.id)))?.checkpoint.channel_values).toEqual({ a: "A", __pregel_tasks: [], messages: [] });
    expect((await saver.getTuple(cfg("t")))?.checkpoint.channel_values).toEqual({ a: "A", b: "B", __pregel_tasks: [] });
  });

  it("makes channel versions that increase and differ between branches forked from one checkpoint", async () => {
    const { saver } = await fresh();
    const v1 = saver.getNextVersion(undefined);
    const v2 = saver.getNextVersion(v1);
    const v2OtherBranch = saver.getNextVersion(v1);
    expect(compareChannelVersions(v2, v1)).toBe(1);
    expect(compareChannelVersions(saver.getNextVersion(v2), v2)).toBe(1);
    expect(v2OtherBranch).not.toEqual(v2);
    expect(compareChannelVersions(saver.getNextVersion(9 as never), saver.getNextVersion(8 as never))).toBe(1);
  });

  it("rejects a config without thread_id, or writes without checkpoint_id, with INVALID_ARGUMENT and stores nothing", async () => {
    const { saver, name } = await fresh();
    const baseline = await countRows(name);
    const c = checkpoint({ a: 1 }, { a: 1 });
    await expectCode(saver.put({ configurable: {} }, c, meta(0), { a: 1 }), "INVALID_ARGUMENT");
    await expectCode(saver.put({}, c, meta(0), { a: 1 }), "INVALID_ARGUMENT");
    await expectCode(saver.putWrites({ configurable: { checkpoint_id: c.id } }, [["a", 1]], "task"), "INVALID_ARGUMENT");
    await expectCode(saver.putWrites(cfg("t"), [["a", 1]], "task"), "INVALID_ARGUMENT");
    expect(await countRows(name)).toEqual(baseline);
    expect(await saver.getTuple({ configurable: {} })).toBeUndefined();
  });

  it("refuses to be made without a store, with INVALID_ARGUMENT, and so does IndexedDBStore", async () => {
    for (const host of [undefined, null, {}, "store", { saver: undefined, memory: undefined }]) {
      expect(() => new IndexedDBSaver(host as never)).toThrowError(expect.objectContaining({ code: "INVALID_ARGUMENT" }));
      expect(() => new IndexedDBStore(host as never)).toThrowError(expect.objectContaining({ code: "INVALID_ARGUMENT" }));
    }
  });

  it("deleteThread leaves no row behind in any object store, for every namespace", async () => {
    const { saver, name } = await fresh();
    const keep = checkpoint({ a: "kept" }, { a: 1 });
    await saver.put(cfg("other"), keep, meta(0), { a: 1 });
    await saver.putWrites(cfg("other", "", keep.id), [["a", "w"]], "task");
    const baseline = await countRows(name);
    for (const ns of ["", "sub:1", "sub:1|deep:2"]) {
      let parent = cfg("t", ns);
      for (let step = 0; step < 3; step++) {
        const c = checkpoint({ a: `v${step}`, b: new Uint8Array(300) }, { a: step + 1, b: 1 });
        parent = await saver.put(parent, c, meta(step), step === 0 ? { a: 1, b: 1 } : { a: step + 1 });
        await saver.putWrites(parent, [["a", step], ["__interrupt__", { value: "ask" }]], `task-${step}`, "~p");
      }
    }
    // Writes for a checkpoint that was never put are the thread's too.
    await saver.putWrites(cfg("t", "", uuid6(-1)), [["a", "orphan"]], "task");
    expect(await countRows(name)).not.toEqual(baseline);
    await saver.deleteThread("t");
    expect(await countRows(name)).toEqual(baseline);
    expect(await collect(saver.list({ configurable: { thread_id: "t" } }))).toEqual([]);
    expect((await saver.getTuple(cfg("other")))?.checkpoint.channel_values).toEqual({ a: "kept" });
  });
});
