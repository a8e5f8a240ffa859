import { afterEach, describe, expect, it } from "vitest";
import * as lg from "@langchain/langgraph";
import { MemorySaver } from "@langchain/langgraph-checkpoint";
import { IndexedDBSaver } from "../../src/langgraph/index";
import type { Engine } from "../../worker/index";
import { openTestEngine } from "./engine";
import { uniqueName } from "../conformance/backend";
import { readCases, resumeAfterExit } from "./pipelined-read-cases";
import type { LG } from "./graph-scenarios";

const engines: Engine[] = [];
afterEach(async () => {
  await Promise.all(engines.splice(0).map((e) => e.close()));
});

async function pipelined(): Promise<IndexedDBSaver> {
  const engine = await openTestEngine(uniqueName("lg-pipelined-reads"));
  engines.push(engine);
  return new IndexedDBSaver(engine, { pipeline: true });
}

describe("pipelined IndexedDBSaver: writes sent before their checkpoint are in every answer after it, as from MemorySaver", () => {
  for (const c of readCases) {
    it(c.name, async () => {
      expect(await c.play(await pipelined())).toEqual(await c.play(new MemorySaver()));
    });
  }

  it('a saver that reads the thread in its put resumes a durability "exit" run without rerunning the finished parallel node', async () => {
    const expected = await resumeAfterExit(lg as unknown as LG, new MemorySaver());
    expect(expected).toEqual({ runs: ["quick"], log: ["quick", "slow heard yes", "join"] });
    expect(await resumeAfterExit(lg as unknown as LG, await pipelined())).toEqual(expected);
  });
});
