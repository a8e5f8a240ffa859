import { invalid } from "../errors.js";
import { assertId } from "../validate.js";
import { changeChannelName, isChangeMessage, type StoreChange } from "./change.js";

export interface SubscribeOptions {
  /** Only changes of this thread (threads, saver and events name their thread). */
  threadId?: string;
  /** Only changes of this store. */
  store?: StoreChange["store"];
}

export type ChangeListener = (change: StoreChange) => void;

/**
 * Calls `listener` after each committed change to the store `storeName`, made in this tab or in
 * any other of the origin, and returns the function that stops it. `localSource` is the id of
 * this tab's engine, so a change can say whether it was made here.
 *
 * A notice is a hint, not the data: read the store for what changed. Where BroadcastChannel is
 * missing, nothing is announced and the returned function does nothing.
 */
export function subscribeToChanges(storeName: string, listener: ChangeListener, options: SubscribeOptions = {}, localSource?: string): () => void {
  assertId(storeName, "storeName");
  if (typeof listener !== "function") throw invalid("subscribe needs a listener function");
  if (typeof options !== "object" || options === null) throw invalid("subscribe's options must be an object");
  for (const key of Object.keys(options)) {
    if (key !== "threadId" && key !== "store") throw invalid(`unknown subscribe option "${key}"`);
  }
  if (options.threadId !== undefined) assertId(options.threadId, "threadId");
  if (options.store !== undefined && !["threads", "saver", "runs", "blobs", "events"].includes(options.store)) {
    throw invalid(`store must be one of threads, saver, runs, blobs, events, got ${String(options.store)}`);
  }
  if (typeof BroadcastChannel !== "function") return () => {};
  const { threadId, store } = options;
  const channel = new BroadcastChannel(changeChannelName(storeName));
  channel.onmessage = (event: MessageEvent) => {
    const data: unknown = event.data;
    if (!isChangeMessage(data)) return;
    const change: StoreChange = { ...data.change, local: localSource !== undefined && data.source === localSource };
    if (threadId !== undefined && change.threadId !== threadId) return;
    if (store !== undefined && change.store !== store) return;
    listener(change);
  };
  let open = true;
  return () => {
    if (!open) return;
    open = false;
    channel.close();
  };
}
