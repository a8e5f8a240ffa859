import { afterEach, describe, expect, it } from "vitest";
import * as lg from "@langchain/langgraph";
import { MemorySaver } from "@langchain/langgraph-checkpoint";
import { IndexedDBSaver, inNodeContext } from "../../src/langgraph/index";
import type { Engine } from "../../worker/index";
import type { LG } from "./graph-scenarios";
import { awaitScenarios } from "./await-scenarios";
import { openTestEngine } from "./engine";
import { uniqueName } from "../conformance/backend";

describe("interrupt() after awaits through inNodeContext (Node, engine on fake-indexeddb)", () => {
  const engines: Engine[] = [];
  afterEach(async () => {
    await Promise.all(engines.splice(0).map((e) => e.close()));
  });

  for (const scenario of awaitScenarios) {
    it(`${scenario.name}: reads back the same as on MemorySaver`, async () => {
      const expected = await scenario.play(lg as unknown as LG, new MemorySaver(), "thread");
      const engine = await openTestEngine(uniqueName("lg-await"));
      engines.push(engine);
      expect(await scenario.play(lg as unknown as LG, new IndexedDBSaver(engine), "thread")).toEqual(expected);
    });
  }

  it("rejects with INVALID_ARGUMENT when given something other than a running node's config", () => {
    for (const config of [undefined, {}, { configurable: { thread_id: "t" } }]) {
      expect(() => inNodeContext(config as never, () => 1)).toThrow(expect.objectContaining({ name: "StoreError", code: "INVALID_ARGUMENT" }));
    }
  });
});
