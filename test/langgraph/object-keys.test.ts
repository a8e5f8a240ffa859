import { afterEach, describe, expect, it } from "vitest";
import { MemorySaver, uuid6, type BaseCheckpointSaver, type Checkpoint, type CheckpointTuple } from "@langchain/langgraph-checkpoint";
import { IndexedDBSaver } from "../../src/langgraph/index";
import { isStoreError } from "../../src/errors";
import type { Engine } from "../../worker/index";
import { countRows, openTestEngine } from "./engine";
import { uniqueName } from "../conformance/backend";

/**
 * Names JavaScript objects carry themselves ("constructor", "prototype", "toString", ...) are
 * ordinary names to LangGraph: a state field, a metadata key, a thread id may be one. Looked up in
 * a plain object without an own-property check they find Object.prototype's members instead.
 */
const NAMES = ["constructor", "prototype", "toString", "hasOwnProperty", "valueOf"];

const engines: Engine[] = [];
afterEach(async () => {
  await Promise.all(engines.splice(0).map((e) => e.close()));
});

async function saverOf(pipeline: boolean, name = uniqueName("lg-keys")): Promise<IndexedDBSaver> {
  const engine = await openTestEngine(name);
  engines.push(engine);
  return new IndexedDBSaver(engine, { pipeline });
}

function checkpointOf(id: string, values: Record<string, unknown>): Checkpoint {
  return {
    v: 4,
    id,
    ts: "2026-01-01T00:00:00.000Z",
    channel_values: values,
    channel_versions: Object.fromEntries(Object.keys(values).map((k) => [k, 1])),
    versions_seen: { node: Object.fromEntries(Object.keys(values).map((k) => [k, 1])) },
  };
}

async function collect(saver: BaseCheckpointSaver, filter?: Record<string, unknown>): Promise<CheckpointTuple[]> {
  const out: CheckpointTuple[] = [];
  for await (const t of saver.list({ configurable: { thread_id: "t" } }, filter ? { filter } : {})) out.push(t);
  return out;
}

const IDS = [uuid6(0), uuid6(1)];

/** Two checkpoints: the first has a channel and a metadata key per name, the second none of them. */
async function play(saver: BaseCheckpointSaver): Promise<unknown> {
  const root = { configurable: { thread_id: "t", checkpoint_ns: "" } };
  const first = checkpointOf(IDS[0], Object.fromEntries(NAMES.map((n, i) => [n, `value ${i}`])));
  const metadata = { source: "input" as const, step: -1, parents: {}, ...Object.fromEntries(NAMES.map((n) => [n, `meta ${n}`])) };
  const firstConfig = await saver.put(root, first, metadata, first.channel_versions);
  await saver.putWrites(firstConfig, NAMES.map((n) => [n, `write ${n}`]), "task-1", "~path");
  const second = checkpointOf(IDS[1], { other: 1 });
  await saver.put(firstConfig, second, { source: "loop", step: 0, parents: {} }, second.channel_versions);
  const filtered = await Promise.all(
    [...NAMES.map((n) => ({ [n]: `meta ${n}` })), { constructor: "no such value" }].map(async (f) => (await collect(saver, f)).map((t) => t.checkpoint.id)),
  );
  return { latest: await saver.getTuple(root), first: await saver.getTuple(firstConfig), all: await collect(saver), filtered };
}

describe("names Object.prototype carries are ordinary channel names, metadata keys and ids", () => {
  for (const pipeline of [false, true]) {
    const mode = pipeline ? " (pipelined writes)" : "";
    it(`channels and metadata keys named constructor, prototype, toString, hasOwnProperty, valueOf read back, list and filter as from MemorySaver${mode}`, async () => {
      const expected = await play(new MemorySaver());
      const saver = await saverOf(pipeline);
      expect(await play(saver)).toEqual(expected);
      // Read back by a fresh saver over the same database: what was stored, not what was cached.
      expect(await play(await saverOf(false, uniqueName("lg-keys-again")))).toEqual(expected);
    });

    it(`getDeltaChannelHistory of a channel named constructor that no checkpoint has: no writes, no seed${mode}`, async () => {
      const saver = await saverOf(pipeline);
      const cp = checkpointOf(uuid6(0), { other: 1 });
      const config = await saver.put({ configurable: { thread_id: "t", checkpoint_ns: "" } }, cp, { source: "input", step: -1, parents: {} }, cp.channel_versions);
      const child = checkpointOf(uuid6(1), { other: 2 });
      const childConfig = await saver.put(config, child, { source: "loop", step: 0, parents: {} }, child.channel_versions);
      expect(await saver.getDeltaChannelHistory({ config: childConfig, channels: ["constructor", "prototype"] })).toEqual({
        constructor: { writes: [] },
        prototype: { writes: [] },
      });
    });

    it(`thread, namespace, checkpoint and task ids named __proto__, constructor or prototype are stored, listed, copied, pruned and deleted; Object.prototype is untouched${mode}`, async () => {
      // MemorySaver refuses these ids: it keeps threads as keys of plain objects. Keys here are
      // IndexedDB keys, so they are ids like any other.
      const before = Object.getOwnPropertyNames(Object.prototype);
      const saver = await saverOf(pipeline);
      for (const id of ["__proto__", "constructor", "prototype"]) {
        const cp = checkpointOf(id, { value: id });
        for (const [thread, ns] of [[id, ""], ["t", id]]) {
          const config = await saver.put({ configurable: { thread_id: thread, checkpoint_ns: ns } }, cp, { source: "input", step: -1, parents: {} }, cp.channel_versions);
          await saver.putWrites(config, [["value", `written by ${id}`]], id, id);
          const tuple = await saver.getTuple({ configurable: { thread_id: thread, checkpoint_ns: ns } });
          expect(tuple?.checkpoint.id).toBe(id);
          expect(tuple?.checkpoint.channel_values).toEqual({ value: id });
          expect(tuple?.pendingWrites).toEqual([[id, "value", `written by ${id}`]]);
        }
        await saver.copyThread(id, `${id} copy`);
        expect((await saver.getTuple({ configurable: { thread_id: `${id} copy`, checkpoint_ns: "" } }))?.checkpoint.id).toBe(id);
      }
      expect((await saver.listThreads()).map((t) => t.threadId).sort()).toEqual(
        ["__proto__", "__proto__ copy", "constructor", "constructor copy", "prototype", "prototype copy", "t"].sort(),
      );
      await saver.prune(["__proto__"], { strategy: "delete" });
      await saver.deleteThread("constructor");
      expect(await saver.getTuple({ configurable: { thread_id: "__proto__" } })).toBeUndefined();
      expect(await saver.getTuple({ configurable: { thread_id: "constructor" } })).toBeUndefined();
      expect((await saver.getTuple({ configurable: { thread_id: "prototype" } }))?.checkpoint.id).toBe("prototype");
      expect(Object.getOwnPropertyNames(Object.prototype)).toEqual(before);
    });
  }

  it("rejects a channel named __proto__ (no LangGraph state can have one) with INVALID_ARGUMENT, and writes nothing", async () => {
    const name = uniqueName("lg-keys-proto");
    const saver = await saverOf(false, name);
    const before = await countRows(name);
    const values = JSON.parse('{"__proto__": 1, "ok": 2}') as Record<string, unknown>;
    const cp = checkpointOf(uuid6(0), values);
    const root = { configurable: { thread_id: "t", checkpoint_ns: "" } };
    const rejection = await saver.put(root, cp, { source: "input", step: -1, parents: {} }, cp.channel_versions).catch((e: unknown) => e);
    expect(isStoreError(rejection, "INVALID_ARGUMENT")).toBe(true);
    expect(await countRows(name)).toEqual(before);
  });
});
