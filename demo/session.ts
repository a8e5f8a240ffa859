import { AIMessage, HumanMessage, ToolMessage, type BaseMessage } from "@langchain/core/messages";
import { Command, type StateSnapshot } from "@langchain/langgraph/web";
import { isStoreError, isThreadBusy, openStore, withThreadLock, type Store, type StoredTurnEvents } from "idb-checkpoint";
import { IndexedDBSaver, IndexedDBStore } from "idb-checkpoint/langgraph";
import { APPROVAL_NODE, NOTES_NAMESPACE, buildAgent, type Agent, type AgentValues, type Answer } from "./agent";

/**
 * Everything the demo keeps, kept by the library: the agent's checkpoints through
 * IndexedDBSaver, each turn's events in `store.events`, and the thread list (titles) as thread
 * checkpoints in `store.threads`. The page holds no state of its own that a reload could lose.
 */

export interface ThreadSummary {
  id: string;
  title: string;
  updatedAt: number;
}

export interface PendingCall {
  id: string;
  name: string;
  args: Record<string, unknown>;
}

export interface ThreadView {
  messages: BaseMessage[];
  notes: string[];
  /** The tool call waiting for approval, if the graph stopped at its breakpoint. */
  pending?: PendingCall;
  checkpointId?: string;
}

const encoder = new TextEncoder();

export class Session {
  private constructor(
    readonly store: Store,
    private readonly agent: Agent,
    readonly memory: IndexedDBStore,
  ) {}

  static async open(name: string, onClose?: (reason: "versionchange" | "closed") => void): Promise<Session> {
    const store = await openStore({ name, onClose });
    const memory = new IndexedDBStore(store);
    return new Session(store, buildAgent(new IndexedDBSaver(store), memory), memory);
  }

  /** The notes in long-term memory, shared by every thread, oldest first. */
  async notes(): Promise<Array<{ key: string; text: string; threadId?: string; at: number }>> {
    const items = await this.memory.search(NOTES_NAMESPACE, { limit: 1000 });
    return items.map((i) => ({ key: i.key, text: String(i.value.text), threadId: i.value.threadId as string | undefined, at: i.createdAt.getTime() }));
  }

  async listThreads(): Promise<ThreadSummary[]> {
    const ids = await this.store.threads.listThreads();
    const threads = await Promise.all(
      ids.map(async (id): Promise<ThreadSummary | undefined> => {
        try {
          const { meta } = await this.store.threads.loadLatest(id);
          return { id, title: String(meta.metadata.title ?? "Untitled"), updatedAt: Number(meta.metadata.updatedAt ?? meta.createdAt) };
        } catch (e) {
          // Another tab deleted the thread between the two reads.
          if (isStoreError(e, "NOT_FOUND")) return undefined;
          throw e;
        }
      }),
    );
    return threads.filter((t): t is ThreadSummary => t !== undefined).sort((a, b) => b.updatedAt - a.updatedAt);
  }

  async createThread(title: string): Promise<string> {
    const id = `thread-${crypto.randomUUID()}`;
    await this.saveTitle(id, title);
    return id;
  }

  /** A title change is a new thread checkpoint; the older ones are dropped, the newest is the title. */
  async renameThread(id: string, title: string): Promise<void> {
    const before = await this.store.threads.list(id);
    await this.saveTitle(id, title);
    for (const meta of before) await this.store.threads.delete(id, meta.checkpointId);
  }

  /** Marks the thread as just used, so the list shows it first. */
  private async touch(id: string): Promise<void> {
    const { meta } = await this.store.threads.loadLatest(id);
    await this.renameThread(id, String(meta.metadata.title ?? "Untitled"));
  }

  private async saveTitle(id: string, title: string): Promise<void> {
    await this.store.threads.save(id, { title, updatedAt: Date.now() }, encoder.encode(title));
  }

  async deleteThread(id: string): Promise<void> {
    // The notes taken in the conversation go with it; notes of other conversations stay.
    const notes = await this.memory.search(NOTES_NAMESPACE, { filter: { threadId: id }, limit: 1000 });
    if (notes.length) await this.memory.batch(notes.map((n) => ({ namespace: NOTES_NAMESPACE, key: n.key, value: null })));
    await this.store.saver.deleteThread(id);
    await this.store.events.clear(id);
    await this.store.threads.deleteThread(id);
  }

  async view(id: string): Promise<ThreadView> {
    const state = await this.agent.getState(config(id));
    const values = (state.values ?? {}) as Partial<AgentValues>;
    const messages = values.messages ?? [];
    return { messages, notes: values.notes ?? [], pending: pendingCall(state, messages), checkpointId: state.config.configurable?.checkpoint_id };
  }

  /** The thread's checkpoints, newest first. */
  async history(id: string): Promise<StateSnapshot[]> {
    const snapshots: StateSnapshot[] = [];
    for await (const snapshot of this.agent.getStateHistory(config(id))) snapshots.push(snapshot);
    return snapshots;
  }

  turns(id: string): Promise<StoredTurnEvents[]> {
    return this.store.events.getTurns(id);
  }

  /** True while some tab (this one included) runs the thread. */
  isRunning(id: string): Promise<boolean> {
    return isThreadBusy(this.store.name, id);
  }

  /**
   * Every change to a thread's conversation runs under the thread's lock (Web Locks, across
   * tabs), and decides what to do only once it holds it: a second tab that clicked Approve on the
   * same step waits, then finds the step already run and does nothing. `onWait` tells the page
   * that another tab is running the thread.
   */
  private exclusive(id: string, onWait: (() => void) | undefined, work: () => Promise<void>): Promise<void> {
    return withThreadLock(this.store.name, id, work, { ifBusy: "wait", onWait });
  }

  /** Sends a message unless the thread waits for an approval (another tab may have got there first). */
  async send(id: string, text: string, onWait?: () => void): Promise<"done" | "stale"> {
    let outcome: "done" | "stale" = "stale";
    await this.exclusive(id, onWait, async () => {
      if ((await this.view(id)).pending) return;
      await this.runTurn(id, { type: "user_message", text }, { messages: [new HumanMessage(text)] });
      outcome = "done";
    });
    return outcome;
  }

  /**
   * Runs the tool call pending at checkpoint `atCheckpoint` (the one the user saw); "stale" when
   * the thread moved on meanwhile (another tab approved, declined or forked).
   */
  async approve(id: string, atCheckpoint: string | undefined, onWait?: () => void): Promise<"done" | "stale"> {
    let outcome: "done" | "stale" = "stale";
    await this.exclusive(id, onWait, async () => {
      const { pending, checkpointId } = await this.view(id);
      if (!pending || checkpointId !== atCheckpoint) return;
      await this.runTurn(id, { type: "approved", tool: pending.name }, new Command({ resume: "approve" satisfies Answer }));
      outcome = "done";
    });
    return outcome;
  }

  /** Declining answers the tool call with a refusal instead of running it, then lets the agent reply. */
  async decline(id: string, atCheckpoint: string | undefined, onWait?: () => void): Promise<"done" | "stale"> {
    let outcome: "done" | "stale" = "stale";
    await this.exclusive(id, onWait, async () => {
      const { pending, checkpointId } = await this.view(id);
      if (!pending || checkpointId !== atCheckpoint) return;
      await this.runTurn(id, { type: "declined", tool: pending.name }, new Command({ resume: "decline" satisfies Answer }));
      outcome = "done";
    });
    return outcome;
  }

  /** Time travel: a new checkpoint whose parent is the chosen one; the thread continues from there. */
  async fork(id: string, checkpointId: string, onWait?: () => void): Promise<void> {
    await this.exclusive(id, onWait, async () => {
      await this.agent.updateState({ configurable: { thread_id: id, checkpoint_id: checkpointId } }, { messages: [] });
      const turn = await this.nextTurn(id);
      await this.store.events.append(id, turn, { type: "forked", from: checkpointId, at: Date.now() });
      await this.store.events.finishTurn(id, turn);
      await this.touch(id);
    });
  }

  private async nextTurn(id: string): Promise<number> {
    const turns = await this.store.events.getTurns(id);
    return turns.length ? turns[turns.length - 1].turn + 1 : 0;
  }

  /**
   * One graph run is one turn of events: what started it, each step, tool call and result, and
   * how it ended. finishTurn makes the turn durable before the UI reports it done.
   */
  private async runTurn(id: string, start: Record<string, unknown>, input: Parameters<Agent["stream"]>[0]): Promise<void> {
    const turn = await this.nextTurn(id);
    const log = (event: Record<string, unknown>) => this.store.events.append(id, turn, { ...event, at: Date.now() });
    await log(start);
    try {
      const stream = await this.agent.stream(input, { ...config(id), streamMode: "updates" });
      for await (const chunk of stream) {
        for (const [node, update] of Object.entries(chunk as Record<string, { messages?: BaseMessage[] }>)) {
          if (node.startsWith("__")) continue;
          await log({ type: "step", node });
          for (const message of update?.messages ?? []) await logMessage(log, message);
        }
      }
      const { pending } = await this.view(id);
      await log(pending ? { type: "paused", waitingFor: pending.name } : { type: "done" });
    } catch (e) {
      await log({ type: "error", message: e instanceof Error ? e.message : String(e) });
      throw e;
    } finally {
      await this.store.events.finishTurn(id, turn);
    }
    await this.touch(id);
  }
}

async function logMessage(log: (event: Record<string, unknown>) => Promise<void>, message: BaseMessage): Promise<void> {
  if (message instanceof ToolMessage || message.getType() === "tool") {
    const tool = message as ToolMessage;
    await log({ type: "tool_result", tool: tool.name ?? "", content: String(tool.content), status: tool.status ?? "success" });
    return;
  }
  const ai = message as AIMessage;
  if (String(ai.content)) await log({ type: "message", text: String(ai.content) });
  for (const call of ai.tool_calls ?? []) await log({ type: "tool_call", tool: call.name, args: call.args });
}

function config(threadId: string) {
  return { configurable: { thread_id: threadId } };
}

function pendingCall(state: StateSnapshot, messages: BaseMessage[]): PendingCall | undefined {
  if (!state.next.includes(APPROVAL_NODE)) return undefined;
  const last = messages[messages.length - 1] as AIMessage | undefined;
  const call = last?.tool_calls?.[0];
  return call ? { id: call.id ?? "", name: call.name, args: call.args } : undefined;
}
