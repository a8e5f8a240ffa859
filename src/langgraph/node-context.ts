import { AsyncLocalStorageProviderSingleton } from "@langchain/core/singletons";
import type { RunnableConfig } from "@langchain/core/runnables";
import { invalid } from "../errors.js";

/**
 * `interrupt()`, calling a functional-API `task`, `getWriter()` and the like find the running
 * node through LangChain's AsyncLocalStorage singleton. Node provides one (`node:async_hooks`);
 * a browser has no async context at all, so with LangGraph's web entry these calls fail once a
 * node has awaited anything ("Called interrupt() outside the context of a graph").
 *
 * Every node already receives its config (a StateGraph node as its second argument, an
 * entrypoint likewise). `inNodeContext(config, fn)` runs `fn` synchronously with that config as
 * the current one, so LangGraph's own `interrupt()` inside it sees its task's scratchpad: resume
 * values, the interrupt counter (several interrupts per node), its namespace (subgraphs) and its
 * task (parallel branches). Nothing of LangGraph is changed or re-implemented.
 *
 * ```ts
 * .addNode("approve", async (state, config) => {
 *   const draft = await callModel(state);
 *   const answer = inNodeContext(config, () => interrupt({ draft }));
 *   ...
 * })
 * ```
 */
export function inNodeContext<T>(config: RunnableConfig, fn: () => T): T {
  if (typeof fn !== "function") throw invalid("inNodeContext needs a function to run");
  if (!config || typeof config !== "object" || !config.configurable || !(SCRATCHPAD in config.configurable)) {
    throw invalid("inNodeContext needs the config a LangGraph node or entrypoint received (its second argument), inside a running graph");
  }
  installSynchronousContext();
  return AsyncLocalStorageProviderSingleton.runWithConfig(config, fn);
}

/** Where LangGraph keeps a running task's interrupt counter and resume values. */
const SCRATCHPAD = "__pregel_scratchpad";

/**
 * A context that lasts for the synchronous part of a callback. LangGraph runs each node inside
 * `run`, so a node's synchronous start, and whatever `inNodeContext` wraps, see their config;
 * after an await the store is empty again, so a stray `interrupt()` fails loudly instead of
 * picking up another task's config.
 */
class SynchronousContext<T> {
  private current: T | undefined;
  getStore(): T | undefined {
    return this.current;
  }
  run<R>(store: T, callback: () => R): R {
    const previous = this.current;
    this.current = store;
    try {
      return callback();
    } finally {
      this.current = previous;
    }
  }
  enterWith(store: T): void {
    this.current = store;
  }
}

/**
 * Gives LangChain the synchronous context when nothing else is installed (a browser). Where an
 * AsyncLocalStorage is installed (Node, or an app's own), it is kept: `inNodeContext` then runs
 * inside it, and works the same.
 */
export function installSynchronousContext(): void {
  AsyncLocalStorageProviderSingleton.initializeGlobalInstance(new SynchronousContext() as never);
}
