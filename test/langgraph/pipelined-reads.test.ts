import { afterEach } from "vitest";
import * as lg from "@langchain/langgraph";
import { IndexedDBSaver } from "../../src/langgraph/index";
import type { Engine } from "../../worker/index";
import { openTestEngine } from "./engine";
import { uniqueName } from "../conformance/backend";
import { describePipelinedReads } from "./pipelined-read-cases";
import type { LG } from "./graph-scenarios";

const engines: Engine[] = [];
afterEach(async () => {
  await Promise.all(engines.splice(0).map((e) => e.close()));
});

describePipelinedReads("", lg as unknown as LG, async () => {
  const engine = await openTestEngine(uniqueName("lg-pipelined-reads"));
  engines.push(engine);
  return new IndexedDBSaver(engine, { pipeline: true });
});
