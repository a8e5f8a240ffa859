import * as lg from "@langchain/langgraph/web";
import { HumanMessage } from "@langchain/core/messages";
import { openStore, type Store } from "../../src/index";
import { IndexedDBSaver, installSynchronousContext } from "../../src/langgraph/index";
import { createSync, type SyncClient, type SyncOptions } from "../../src/sync/index";
import { buildChatGraph, inspectChat, type ChatGraph } from "../langgraph/chat-scenario";
import { runChat } from "../bench/chat-workload";
import { storedBytes } from "../bench/stored-bytes";

/**
 * One device of the sync e2e suites: the chat graph on IndexedDBSaver over openStore, and a
 * sync client, driven from Node through `window.device`.
 */

// interrupt() needs an async context the browser lacks: the library's synchronous one serves.
installSynchronousContext();

let store: Store;
let saver: IndexedDBSaver;
let graph: ChatGraph;
let sync: SyncClient;
const states: string[] = [];
let n = 0;

const cfg = (thread_id: string) => ({ configurable: { thread_id } });

const device = {
  async open(name: string, url: string, token: string, options: Partial<SyncOptions> = {}) {
    store = await openStore({ name });
    saver = new IndexedDBSaver(store);
    graph = buildChatGraph(lg, saver);
    sync = createSync({ store, url, headers: () => ({ authorization: `Bearer ${token}` }), ...options });
    sync.addEventListener("state", (e) => states.push((e as CustomEvent<{ state: string }>).detail.state));
    await store.sync.enable();
  },
  /** A user turn: the message, then approving the drafted reply (two invokes). */
  async say(thread: string, text: string) {
    await graph.invoke({ messages: [new HumanMessage({ id: `h-${text}-${n++}`, content: text })] }, cfg(thread));
    await graph.invoke(new lg.Command({ resume: "ok" }), cfg(thread));
  },
  async sync(): Promise<{ ok: true; pushed: number; pulled: number } | { ok: false; status: number; message: string }> {
    try {
      const r = await sync.syncNow();
      return { ok: true, pushed: r.pushed, pulled: r.pulled };
    } catch (e) {
      const err = e as { status?: number; message?: string };
      return { ok: false, status: err.status ?? -1, message: String(err.message) };
    }
  },
  state: () => sync.state,
  states: () => [...states],
  bytes: () => ({ ...sync.bytes }),
  inspect: (thread: string) => inspectChat(graph, thread),
  async messages(thread: string): Promise<string[]> {
    const s = await graph.getState(cfg(thread));
    return ((s.values as { messages?: Array<{ content: unknown }> }).messages ?? []).map((m) => String(m.content));
  },
  /** Every checkpoint id of the thread, of every namespace, sorted. */
  async ids(thread: string): Promise<string[]> {
    return (await store.saver.list({ threadId: thread })).map((t) => t.checkpointId).sort();
  },
  async latest(thread: string): Promise<string | undefined> {
    return (await store.saver.getTuple({ threadId: thread, ns: "" }))?.checkpointId;
  },
  deleteThread: (thread: string) => saver.deleteThread(thread),
  /**
   * The sync bench: the bench's 200-turn chat in a store of its own, then one sync of it to the
   * server (push; the pull that follows brings nothing back). Bytes stored are measured before.
   */
  async benchPush(name: string, turns: number, url: string, token: string) {
    const own = await openStore({ name });
    await own.sync.enable();
    const { figures } = await runChat(own, "plain", turns);
    const stored = await storedBytes(name);
    const client = createSync({ store: own, url, headers: () => ({ authorization: `Bearer ${token}` }) });
    const t = performance.now();
    const result = await client.syncNow();
    const ms = performance.now() - t;
    await own.close();
    return { ms, pushed: result.pushed, stored: stored.total, puts: figures.puts, messages: figures.messages, clientBytes: { ...client.bytes } };
  },
  /** A fresh store pulling what benchPush sent. */
  async benchPull(name: string, url: string, token: string) {
    const own = await openStore({ name });
    const client = createSync({ store: own, url, headers: () => ({ authorization: `Bearer ${token}` }) });
    const t = performance.now();
    const result = await client.syncNow();
    const ms = performance.now() - t;
    const stored = await storedBytes(name);
    const latest = await new IndexedDBSaver(own).getTuple(cfg("chat-plain"));
    await own.close();
    const messages = (latest?.checkpoint.channel_values.messages as unknown[] | undefined)?.length ?? 0;
    return { ms, pulled: result.pulled, stored: stored.total, messages, clientBytes: { ...client.bytes } };
  },
  close: () => store.close(),
};

declare global {
  interface Window {
    device: typeof device;
  }
}
window.device = device;
document.title = "ready";
