import { afterEach, describe, expect, it } from "vitest";
import * as lg from "@langchain/langgraph/web";
import { MemorySaver } from "@langchain/langgraph-checkpoint";
import { openStore, type Store } from "../../src/index";
import { IndexedDBSaver, installSynchronousContext } from "../../src/langgraph/index";
import { readCases, resumeAfterExit } from "../langgraph/pipelined-read-cases";
import { uniqueName } from "../conformance/backend";

installSynchronousContext();

const stores: Store[] = [];
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
});

async function pipelined(): Promise<IndexedDBSaver> {
  const store = await openStore({ name: uniqueName("lg-pipelined-reads") });
  stores.push(store);
  return new IndexedDBSaver(store, { pipeline: true });
}

describe("pipelined IndexedDBSaver through the worker: writes sent before their checkpoint are in every answer after it, as from MemorySaver", () => {
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
