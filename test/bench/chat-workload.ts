import * as lg from "@langchain/langgraph/web";
import type { RunnableConfig } from "@langchain/core/runnables";
import { copyCheckpoint, type Checkpoint, type CheckpointMetadata, type ChannelVersions, type PendingWrite } from "@langchain/langgraph-checkpoint";
import { deflateSync } from "fflate";
import { IndexedDBSaver, type SaverHost } from "../../src/langgraph/index";
import { makeText } from "./stats";

/**
 * The 200-turn chat of the LangGraph research (growth probe): a user question of 40 words and an
 * assistant reply of 100 words per turn, from a seeded 3000-word vocabulary. Measured alongside
 * what is stored: what full checkpoints (MemorySaver/SQLite style) and per-version channel blobs
 * (Postgres style) would hold for the same run, and how long the saver's own calls take.
 */
export interface ChatFigures {
  mode: "plain" | "delta";
  turns: number;
  puts: number;
  /** Bytes of every checkpoint serialized whole. */
  fullCheckpointBytes: number;
  fullCheckpointDeflatedBytes: number;
  /** Bytes of the channels named in newVersions plus each checkpoint without its values. */
  perVersionBlobBytes: number;
  /** Bytes of every pending write value: what is actually new. */
  writeBytes: number;
  /** Milliseconds spent in put and putWrites, per turn. */
  saveMsPerTurn: number[];
  /** Milliseconds of the whole graph.invoke, per turn. */
  invokeMsPerTurn: number[];
  messages: number;
}

/**
 * Times the saver's own calls, and keeps what each put was given so the comparison figures can
 * be computed after the run: serializing and deflating whole checkpoints here, between timed
 * calls that LangGraph leaves running in the background, would be counted in their times.
 */
class MeasuringSaver extends IndexedDBSaver {
  puts: Array<{ checkpoint: Checkpoint; newVersions: ChannelVersions }> = [];
  writes: unknown[] = [];
  saveMs = 0;
  /**
   * The part of saveMs any saver of serialized bytes pays on the page: LangGraph's serializer run
   * on what each put names new, timed again apart after the put (so not counted twice).
   */
  serializeMs = 0;

  override async put(config: RunnableConfig, checkpoint: Checkpoint, metadata: CheckpointMetadata, newVersions: ChannelVersions) {
    // The runtime mutates its checkpoint afterwards; channel values are replaced, not mutated.
    this.puts.push({ checkpoint: copyCheckpoint(checkpoint), newVersions: { ...newVersions } });
    const t = performance.now();
    try {
      return await super.put(config, checkpoint, metadata, newVersions);
    } finally {
      this.saveMs += performance.now() - t;
      const s = performance.now();
      for (const ch of Object.keys(newVersions)) if (ch in checkpoint.channel_values) await this.serde.dumpsTyped(checkpoint.channel_values[ch]);
      this.serializeMs += performance.now() - s;
    }
  }

  override async putWrites(config: RunnableConfig, writes: PendingWrite[], taskId: string, taskPath?: string) {
    for (const [, v] of writes) this.writes.push(v);
    const t = performance.now();
    try {
      return await super.putWrites(config, writes, taskId, taskPath);
    } finally {
      this.saveMs += performance.now() - t;
    }
  }

  /** What full checkpoints and per-version channel blobs would have stored for the same puts. */
  async comparison() {
    let full = 0;
    let fullDeflated = 0;
    let blobs = 0;
    let writes = 0;
    for (const { checkpoint, newVersions } of this.puts) {
      const [, bytes] = await this.serde.dumpsTyped(checkpoint);
      full += bytes.length;
      fullDeflated += deflateSync(bytes, { level: 6 }).length;
      for (const ch of Object.keys(newVersions)) {
        if (ch in checkpoint.channel_values) blobs += (await this.serde.dumpsTyped(checkpoint.channel_values[ch]))[1].length;
      }
      const { channel_values: _values, ...header } = checkpoint;
      blobs += (await this.serde.dumpsTyped(header))[1].length;
    }
    for (const v of this.writes) writes += (await this.serde.dumpsTyped(v))[1].length;
    return { full, fullDeflated, blobs, writes };
  }
}

/** One chat thread driven turn by turn through a compiled graph on the saver. */
export class Chat {
  readonly saveMsPerTurn: number[] = [];
  /** Of saveMsPerTurn, LangGraph's serializing of the new channel values (MeasuringSaver.serializeMs). */
  readonly serializeMsPerTurn: number[] = [];
  readonly invokeMsPerTurn: number[] = [];
  private readonly saver: MeasuringSaver;
  private readonly graph: { invoke(input: unknown, config: unknown): Promise<unknown>; getState(config: unknown): Promise<{ values: unknown }> };
  private readonly config: { configurable: { thread_id: string } };
  private readonly text = makeText(42);
  private turns = 0;

  constructor(store: SaverHost, readonly mode: "plain" | "delta", threadId: string) {
    this.saver = new MeasuringSaver(store);
    const State =
      mode === "delta"
        ? lg.Annotation.Root({ messages: new lg.DeltaChannel(lg.messagesDeltaReducer) as never })
        : lg.Annotation.Root({ messages: lg.Annotation<unknown[]>({ reducer: (a, b) => a.concat(b), default: () => [] }) });
    this.graph = new lg.StateGraph(State as never)
      // Typed loosely: the two state shapes differ only in the channel class.
      .addNode("assistant", (async (s: { messages: unknown[] }) => ({
        messages: [{ role: "assistant", content: `reply ${s.messages.length} ` + this.text.words(100) }],
      })) as never)
      .addEdge(lg.START, "assistant" as never)
      .addEdge("assistant" as never, lg.END)
      .compile({ checkpointer: this.saver }) as never;
    this.config = { configurable: { thread_id: threadId } };
  }

  /** A user question of 40 words and the assistant's reply of 100. */
  async turn(): Promise<void> {
    const before = this.saver.saveMs;
    const serializedBefore = this.saver.serializeMs;
    const t = performance.now();
    await this.graph.invoke({ messages: [{ role: "user", content: `question ${this.turns++} ` + this.text.words(40) }] }, this.config);
    this.invokeMsPerTurn.push(performance.now() - t);
    this.saveMsPerTurn.push(this.saver.saveMs - before);
    this.serializeMsPerTurn.push(this.saver.serializeMs - serializedBefore);
  }

  async figures(): Promise<ChatFigures> {
    const state = await this.graph.getState(this.config);
    const { full, fullDeflated, blobs, writes } = await this.saver.comparison();
    return {
      mode: this.mode,
      turns: this.turns,
      puts: this.saver.puts.length,
      fullCheckpointBytes: full,
      fullCheckpointDeflatedBytes: fullDeflated,
      perVersionBlobBytes: blobs,
      writeBytes: writes,
      saveMsPerTurn: [...this.saveMsPerTurn],
      invokeMsPerTurn: [...this.invokeMsPerTurn],
      messages: (state.values as { messages: unknown[] }).messages.length,
    };
  }
}

export async function runChat(store: SaverHost, mode: "plain" | "delta", turns: number): Promise<{ chat: Chat; figures: ChatFigures }> {
  const chat = new Chat(store, mode, `chat-${mode}`);
  for (let i = 0; i < turns; i++) await chat.turn();
  return { chat, figures: await chat.figures() };
}
