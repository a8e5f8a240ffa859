import { afterAll, describe, expect, it } from "vitest";
import { MemorySaver, emptyCheckpoint, uuid6, type BaseCheckpointSaver, type CheckpointTuple } from "@langchain/langgraph-checkpoint";
import type { RunnableConfig } from "@langchain/core/runnables";
import { IndexedDBSaver } from "../../src/langgraph/index";
import type { Engine } from "../../worker/index";
import { openTestEngine } from "./engine";

// Calls a hand-written test makes that a compiled graph does not: each runs on MemorySaver and
// on IndexedDBSaver, and the two answers must be equal.

const engines: Engine[] = [];
afterAll(async () => {
  await Promise.all(engines.splice(0).map((e) => e.close()));
});

async function both(): Promise<Array<[string, BaseCheckpointSaver]>> {
  const engine = await openTestEngine();
  engines.push(engine);
  return [
    ["MemorySaver", new MemorySaver()],
    ["IndexedDBSaver", new IndexedDBSaver(engine)],
  ];
}

async function collect(gen: AsyncGenerator<CheckpointTuple>): Promise<CheckpointTuple[]> {
  const out: CheckpointTuple[] = [];
  for await (const t of gen) out.push(t);
  return out;
}

/** The answer of `run` on each saver, keyed by its name. */
async function answers<T>(run: (saver: BaseCheckpointSaver) => Promise<T>): Promise<Record<string, T>> {
  const out: Record<string, T> = {};
  for (const [name, saver] of await both()) out[name] = await run(saver);
  return out;
}

describe("IndexedDBSaver answers as MemorySaver does", () => {
  it("getDeltaChannelHistory stops at an ancestor holding the channel's value without a version, with that value as the seed", async () => {
    const got = await answers(async (saver) => {
      const config = { configurable: { thread_id: "t", checkpoint_ns: "" } };
      let parent: RunnableConfig = config;
      for (const n of ["one", "two", "three"]) {
        // Values without channel_versions, as a hand-written test puts them.
        parent = await saver.put(parent, { ...emptyCheckpoint(), id: uuid6(0), channel_values: { messages: n } }, { source: "update", step: 0, parents: {} }, {});
        await saver.putWrites(parent, [["messages", `${n}+`]], "task");
      }
      return saver.getDeltaChannelHistory({ config, channels: ["messages", "other"] });
    });
    expect(got.IndexedDBSaver).toEqual(got.MemorySaver);
    expect(got.MemorySaver.messages).toEqual({ seed: "two", writes: [["task", "messages", "two+"]] });
  });

  it("getTuple by id returns the config it was asked with, other keys included; without an id, the stored address", async () => {
    const got = await answers(async (saver) => {
      const stored = await saver.put({ configurable: { thread_id: "t" } }, { ...emptyCheckpoint(), id: uuid6(0) }, { source: "input", step: -1, parents: {} }, {});
      const asked = { configurable: { thread_id: "t", checkpoint_id: stored.configurable!.checkpoint_id, user: "u" }, tags: ["x"] };
      const byId = await saver.getTuple(asked);
      const latest = (await saver.getTuple({ configurable: { thread_id: "t" } }))?.config;
      return { byIdIsAsked: byId?.config === asked, latest: { ...latest, configurable: { ...latest?.configurable, checkpoint_id: latest?.configurable?.checkpoint_id === stored.configurable!.checkpoint_id } } };
    });
    expect(got.IndexedDBSaver).toEqual(got.MemorySaver);
    expect(got.MemorySaver).toEqual({ byIdIsAsked: true, latest: { configurable: { thread_id: "t", checkpoint_ns: "", checkpoint_id: true } } });
  });

  it("list with a filter key set to undefined matches the checkpoints whose metadata lacks that key", async () => {
    const got = await answers(async (saver) => {
      const config = { configurable: { thread_id: "t", checkpoint_ns: "" } };
      for (const [step, extra] of [[1, { tag: "a" }], [2, {}], [3, { tag: undefined }], [4, { tag: "b" }]] as const) {
        await saver.put(config, { ...emptyCheckpoint(), id: uuid6(0) }, { source: "loop", step, parents: {}, ...extra }, {});
      }
      const steps = async (filter: Record<string, unknown>) => (await collect(saver.list(config, { filter }))).map((t) => t.metadata?.step);
      return { absent: await steps({ tag: undefined }), both: await steps({ tag: undefined, step: 2 }), present: await steps({ tag: "b" }) };
    });
    expect(got.IndexedDBSaver).toEqual(got.MemorySaver);
    expect(got.MemorySaver).toEqual({ absent: [3, 2], both: [2], present: [4] });
  });
});
