import { afterEach } from "vitest";
import * as lg from "@langchain/langgraph/web";
import { openStore, type Store } from "../../src/index";
import { IndexedDBSaver, installSynchronousContext } from "../../src/langgraph/index";
import { describePipelinedReads } from "../langgraph/pipelined-read-cases";
import { uniqueName } from "../conformance/backend";

installSynchronousContext();

const stores: Store[] = [];
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
});

describePipelinedReads(" through the worker", lg, async () => {
  const store = await openStore({ name: uniqueName("lg-pipelined-reads") });
  stores.push(store);
  return new IndexedDBSaver(store, { pipeline: true });
});
