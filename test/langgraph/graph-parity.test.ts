import { afterEach, describe, expect, it } from "vitest";
import * as lg from "@langchain/langgraph";
import { MemorySaver } from "@langchain/langgraph-checkpoint";
import { IndexedDBSaver } from "../../src/langgraph/index";
import type { Engine } from "../../worker/index";
import { graphScenarios, type LG } from "./graph-scenarios";
import { openTestEngine } from "./engine";
import { uniqueName } from "../conformance/backend";

describe("real graphs read back the same from IndexedDBSaver (engine, fake-indexeddb) as from MemorySaver", () => {
  const engines: Engine[] = [];
  afterEach(async () => {
    await Promise.all(engines.splice(0).map((e) => e.close()));
  });

  for (const scenario of graphScenarios) {
    it(`${scenario.name}: every step's state, history, getTuple, get and list match`, async () => {
      const expected = await scenario.play(lg as unknown as LG, new MemorySaver(), "thread");
      const engine = await openTestEngine(uniqueName("lg-parity"));
      engines.push(engine);
      const actual = await scenario.play(lg as unknown as LG, new IndexedDBSaver(engine), "thread");
      expect(actual).toEqual(expected);
    });
  }
});
