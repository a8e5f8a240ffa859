import { afterEach, describe, expect, it } from "vitest";
import * as lg from "@langchain/langgraph";
import { MemorySaver, uuid6, type BaseCheckpointSaver, type Checkpoint, type CheckpointMetadata } from "@langchain/langgraph-checkpoint";
import type { RunnableConfig } from "@langchain/core/runnables";
import { IndexedDBSaver } from "../../src/langgraph/index";
import type { Engine } from "../../worker/index";
import { openTestEngine } from "./engine";
import { uniqueName } from "../conformance/backend";

/**
 * A pipelined saver answers reads of a thread from the writes it still has on their way. LangGraph
 * sends a checkpoint's writes before the checkpoint itself when durability is "exit" (and a
 * parallel branch's writes land before the step's checkpoint in any mode), so a read can come
 * between the two: the answer after the put must still carry those writes, or a resumed run
 * runs the finished node again.
 */

const engines: Engine[] = [];
afterEach(async () => {
  await Promise.all(engines.splice(0).map((e) => e.close()));
});

async function pipelined(): Promise<IndexedDBSaver> {
  const engine = await openTestEngine(uniqueName("lg-pipelined-reads"));
  engines.push(engine);
  return new IndexedDBSaver(engine, { pipeline: true });
}

const ID = uuid6(0);
const checkpoint: Checkpoint = { v: 4, id: ID, ts: "2026-01-01T00:00:00.000Z", channel_values: { x: 1 }, channel_versions: { x: 1 }, versions_seen: {} };
const metadata: CheckpointMetadata = { source: "loop", step: 0, parents: {} };

/** The writes of checkpoint ID, a read, its put, a read; `before` runs first (reads, other threads). */
async function writesThenPut(saver: BaseCheckpointSaver, thread: string, before: () => Promise<unknown> = async () => {}): Promise<unknown[]> {
  const root = { configurable: { thread_id: thread, checkpoint_ns: "" } };
  await before();
  await saver.putWrites({ configurable: { ...root.configurable, checkpoint_id: ID } }, [["x", 2], ["branch:to:next", null]], "task-a", "~a");
  const between = await saver.getTuple(root);
  await saver.put(root, checkpoint, metadata, checkpoint.channel_versions);
  return [between, await saver.getTuple(root)];
}

describe("pipelined IndexedDBSaver: writes sent before their checkpoint are in every answer after it", () => {
  it("when the thread was read before the writes", async () => {
    const read = (s: BaseCheckpointSaver) => () => s.getTuple({ configurable: { thread_id: "t" } });
    const memory = new MemorySaver();
    const expected = await writesThenPut(memory, "t", read(memory));
    const saver = await pipelined();
    expect(await writesThenPut(saver, "t", read(saver))).toEqual(expected);
  });

  it("when the writes were the saver's first call for the thread", async () => {
    const expected = await writesThenPut(new MemorySaver(), "t");
    expect(await writesThenPut(await pipelined(), "t")).toEqual(expected);
  });

  it("when the thread's answers were pushed out by a hundred other threads in between", async () => {
    const saver = await pipelined();
    const memory = new MemorySaver();
    const others = (s: BaseCheckpointSaver) => async () => {
      await s.getTuple({ configurable: { thread_id: "t" } });
      await s.putWrites({ configurable: { thread_id: "t", checkpoint_ns: "", checkpoint_id: ID } }, [["y", 3]], "task-b", "~b");
      for (let i = 0; i < 100; i++) await s.getTuple({ configurable: { thread_id: `other-${i}` } });
    };
    const expected = await writesThenPut(memory, "t", others(memory));
    expect(await writesThenPut(saver, "t", others(saver))).toEqual(expected);
  });

  it('a saver that reads the thread in its put (as savers that check what they store do) resumes a durability "exit" run without rerunning the finished parallel node', async () => {
    class Checking extends IndexedDBSaver {
      override async put(config: RunnableConfig, cp: Checkpoint, md: CheckpointMetadata): Promise<RunnableConfig> {
        await this.get(config);
        return super.put(config, cp, md);
      }
    }
    const engine = await openTestEngine(uniqueName("lg-pipelined-exit"));
    engines.push(engine);
    const runs: string[] = [];
    const State = lg.Annotation.Root({ log: lg.Annotation<string[]>({ reducer: (a, b) => a.concat(b), default: () => [] }) });
    const graph = new lg.StateGraph(State)
      .addNode("quick", () => (runs.push("quick"), { log: ["quick"] }))
      .addNode("slow", async () => {
        await new Promise((r) => setTimeout(r, 20));
        return { log: [`slow heard ${String(lg.interrupt("go?"))}`] };
      })
      .addNode("join", () => ({ log: ["join"] }))
      .addEdge(lg.START, "quick")
      .addEdge(lg.START, "slow")
      .addEdge(["quick", "slow"], "join")
      .compile({ checkpointer: new Checking(engine, { pipeline: true }) });
    const config = { configurable: { thread_id: "t" }, durability: "exit" as const };
    await graph.invoke({ log: [] }, config);
    const resumed = await graph.invoke(new lg.Command({ resume: "yes" }), config);
    expect(runs).toEqual(["quick"]);
    expect(resumed.log).toEqual(["quick", "slow heard yes", "join"]);
  });
});
