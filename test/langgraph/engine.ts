// fake-indexeddb's globals: the engine's key ranges and default factory come from them in Node.
import "fake-indexeddb/auto";
import { openEngine, type Engine } from "../../worker/index";
import { countRowsWith, uniqueName } from "../conformance/backend";

/** An engine over fake-indexeddb; the same name reopens the same data. */
export function openTestEngine(name = uniqueName("lg")): Promise<Engine> {
  return openEngine({ name, indexedDB, eventFlushMs: 10 });
}

/** Rows in each object store of the database `name`. */
export function countRows(name: string): Promise<Record<string, number>> {
  return countRowsWith(indexedDB, name);
}
