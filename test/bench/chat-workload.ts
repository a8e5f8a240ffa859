import * as lg from "@langchain/langgraph/web";
import type { RunnableConfig } from "@langchain/core/runnables";
import type { Checkpoint, CheckpointMetadata, ChannelVersions, PendingWrite } from "@langchain/langgraph-checkpoint";
import { deflateSync } from "fflate";
import { IndexedDBSaver, type SaverHost } from "../../src/langgraph";
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

class MeasuringSaver extends IndexedDBSaver {
  full = 0;
  fullDeflated = 0;
  blobs = 0;
  writes = 0;
  puts = 0;
  saveMs = 0;

  override async put(config: RunnableConfig, checkpoint: Checkpoint, metadata: CheckpointMetadata, newVersions: ChannelVersions) {
    this.puts++;
    const [, bytes] = await this.serde.dumpsTyped(checkpoint);
    this.full += bytes.length;
    this.fullDeflated += deflateSync(bytes, { level: 6 }).length;
    for (const ch of Object.keys(newVersions)) {
      if (ch in checkpoint.channel_values) this.blobs += (await this.serde.dumpsTyped(checkpoint.channel_values[ch]))[1].length;
    }
    const { channel_values: _values, ...header } = checkpoint;
    this.blobs += (await this.serde.dumpsTyped(header))[1].length;
    const t = performance.now();
    try {
      return await super.put(config, checkpoint, metadata, newVersions);
    } finally {
      this.saveMs += performance.now() - t;
    }
  }

  override async putWrites(config: RunnableConfig, writes: PendingWrite[], taskId: string, taskPath?: string) {
    for (const [, v] of writes) this.writes += (await this.serde.dumpsTyped(v))[1].length;
    const t = performance.now();
    try {
      return await super.putWrites(config, writes, taskId, taskPath);
    } finally {
      this.saveMs += performance.now() - t;
    }
  }
}

export async function runChat(store: SaverHost, mode: "plain" | "delta", turns: number): Promise<ChatFigures> {
  const text = makeText(42);
  const saver = new MeasuringSaver(store);
  const State =
    mode === "delta"
      ? lg.Annotation.Root({ messages: new lg.DeltaChannel(lg.messagesDeltaReducer) as never })
      : lg.Annotation.Root({ messages: lg.Annotation<unknown[]>({ reducer: (a, b) => a.concat(b), default: () => [] }) });
  const graph = new lg.StateGraph(State as never)
    // Typed loosely: the two state shapes differ only in the channel class.
    .addNode("assistant", (async (s: { messages: unknown[] }) => ({
      messages: [{ role: "assistant", content: `reply ${s.messages.length} ` + text.words(100) }],
    })) as never)
    .addEdge(lg.START, "assistant" as never)
    .addEdge("assistant" as never, lg.END)
    .compile({ checkpointer: saver });
  const config = { configurable: { thread_id: `chat-${mode}` } };
  const saveMsPerTurn: number[] = [];
  const invokeMsPerTurn: number[] = [];
  for (let i = 0; i < turns; i++) {
    const before = saver.saveMs;
    const t = performance.now();
    await graph.invoke({ messages: [{ role: "user", content: `question ${i} ` + text.words(40) }] } as never, config);
    invokeMsPerTurn.push(performance.now() - t);
    saveMsPerTurn.push(saver.saveMs - before);
  }
  const state = await graph.getState(config);
  return {
    mode,
    turns,
    puts: saver.puts,
    fullCheckpointBytes: saver.full,
    fullCheckpointDeflatedBytes: saver.fullDeflated,
    perVersionBlobBytes: saver.blobs,
    writeBytes: saver.writes,
    saveMsPerTurn,
    invokeMsPerTurn,
    messages: (state.values as { messages: unknown[] }).messages.length,
  };
}
