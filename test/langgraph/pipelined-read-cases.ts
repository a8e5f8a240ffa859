import { describe, expect, it } from "vitest";
import { MemorySaver, uuid6, type BaseCheckpointSaver, type Checkpoint, type CheckpointMetadata } from "@langchain/langgraph-checkpoint";
import type { RunnableConfig } from "@langchain/core/runnables";
import { inNodeContext } from "../../src/langgraph/index";
import type { LG } from "./graph-scenarios";

/**
 * A pipelined saver answers reads of a thread from the writes it still has on their way. LangGraph
 * sends a checkpoint's writes before the checkpoint itself when durability is "exit" (and a
 * parallel branch's writes land before the step's checkpoint in any mode), so a read can come
 * between the two: the answer after the put must still carry those writes, or a resumed run
 * runs the finished node again. Each case records what a saver answers; MemorySaver's answers
 * are the reference. Shared by Node (engine) and the browser (worker).
 */

const ID = uuid6(0);
const checkpoint: Checkpoint = { v: 4, id: ID, ts: "2026-01-01T00:00:00.000Z", channel_values: { x: 1 }, channel_versions: { x: 1 }, versions_seen: {} };
const metadata: CheckpointMetadata = { source: "loop", step: 0, parents: {} };

/** The writes of checkpoint ID, a read, its put, a read; `before` runs first. */
async function writesThenPut(saver: BaseCheckpointSaver, before: () => Promise<unknown> = async () => {}): Promise<unknown[]> {
  const root = { configurable: { thread_id: "t", checkpoint_ns: "" } };
  await before();
  await saver.putWrites({ configurable: { ...root.configurable, checkpoint_id: ID } }, [["x", 2], ["branch:to:next", null]], "task-a", "~a");
  const between = await saver.getTuple(root);
  await saver.put(root, checkpoint, metadata, checkpoint.channel_versions);
  return [between, await saver.getTuple(root)];
}

export interface ReadCase {
  name: string;
  play(saver: BaseCheckpointSaver): Promise<unknown>;
}

export const readCases: ReadCase[] = [
  {
    name: "when the thread was read before the writes",
    play: (s) => writesThenPut(s, () => s.getTuple({ configurable: { thread_id: "t" } })),
  },
  {
    name: "when the writes were the saver's first call for the thread",
    play: (s) => writesThenPut(s),
  },
  {
    name: "when the thread's answers were pushed out by a hundred other threads in between",
    play: (s) =>
      writesThenPut(s, async () => {
        await s.getTuple({ configurable: { thread_id: "t" } });
        await s.putWrites({ configurable: { thread_id: "t", checkpoint_ns: "", checkpoint_id: ID } }, [["y", 3]], "task-b", "~b");
        for (let i = 0; i < 100; i++) await s.getTuple({ configurable: { thread_id: `other-${i}` } });
      }),
  },
];

/**
 * A saver that reads the thread in its put (as savers that check what they store do) under a
 * durability "exit" run whose parallel branch finished before the other interrupted: resumed, the
 * finished branch must not run again. Returns the nodes that ran and the final log.
 */
export async function resumeAfterExit(lg: LG, saver: BaseCheckpointSaver): Promise<unknown> {
  // Called without newVersions, as such savers call super.put.
  const put = saver.put.bind(saver) as (config: RunnableConfig, cp: Checkpoint, md: CheckpointMetadata) => Promise<RunnableConfig>;
  saver.put = async (config: RunnableConfig, cp: Checkpoint, md: CheckpointMetadata) => {
    await saver.get(config);
    return put(config, cp, md);
  };
  const runs: string[] = [];
  const State = lg.Annotation.Root({ log: lg.Annotation<string[]>({ reducer: (a, b) => a.concat(b), default: () => [] }) });
  const graph = new lg.StateGraph(State)
    .addNode("quick", () => (runs.push("quick"), { log: ["quick"] }))
    .addNode("slow", async (_s: unknown, config: RunnableConfig) => {
      await new Promise((r) => setTimeout(r, 20));
      return { log: [`slow heard ${String(inNodeContext(config, () => lg.interrupt("go?")))}`] };
    })
    .addNode("join", () => ({ log: ["join"] }))
    .addEdge(lg.START, "quick")
    .addEdge(lg.START, "slow")
    .addEdge(["quick", "slow"], "join")
    .compile({ checkpointer: saver });
  const config = { configurable: { thread_id: "t" }, durability: "exit" as const };
  await graph.invoke({ log: [] }, config);
  const resumed = await graph.invoke(new lg.Command({ resume: "yes" }), config);
  return { runs, log: resumed.log };
}

/** The cases as specs, against a pipelined saver that `pipelined` opens (in Node, or through the worker). */
export function describePipelinedReads(where: string, lg: LG, pipelined: () => Promise<BaseCheckpointSaver>): void {
  describe(`pipelined IndexedDBSaver${where}: writes sent before their checkpoint are in every answer after it, as from MemorySaver`, () => {
    for (const c of readCases) {
      it(c.name, async () => {
        expect(await c.play(await pipelined())).toEqual(await c.play(new MemorySaver()));
      });
    }

    it('a saver that reads the thread in its put resumes a durability "exit" run without rerunning the finished parallel node', async () => {
      const expected = await resumeAfterExit(lg, new MemorySaver());
      expect(expected).toEqual({ runs: ["quick"], log: ["quick", "slow heard yes", "join"] });
      expect(await resumeAfterExit(lg, await pipelined())).toEqual(expected);
    });
  });
}
