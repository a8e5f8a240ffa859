// fake-indexeddb's globals (IDBRequest, IDBKeyRange) for idb and the engine's key ranges.
import "fake-indexeddb/auto";
import { IDBFactory } from "fake-indexeddb";
import { afterEach, describe, expect, expectTypeOf, it } from "vitest";
import { openEngine, type Engine } from "../../worker/index";
import { TypedCheckpointStore, jsonCodec, isStoreError, type Codec, type TypedCheckpoint } from "../../src/index";
import { uniqueName } from "../conformance/backend";
import { expectCode } from "../conformance/expect-code";

interface Chat {
  messages: string[];
  step: number;
}

const GRAPH_A = 0x0123_4567_89ab_cdefn;
const GRAPH_B = 0xfedc_ba98_7654_3210n;

describe("TypedCheckpointStore with jsonCodec", () => {
  const factory = new IDBFactory();
  const engines: Engine[] = [];
  afterEach(async () => {
    await Promise.all(engines.splice(0).map((e) => e.close()));
  });
  async function typed<S = Chat>(codec: Codec<TypedCheckpoint<S>> = jsonCodec()) {
    const engine = await openEngine({ name: uniqueName("typed"), indexedDB: factory });
    engines.push(engine);
    return { engine, store: new TypedCheckpointStore<S>(engine.blobs, codec) };
  }

  it("saves typed state with its trace and loads it back by id and as the latest", async () => {
    const { store } = await typed();
    await store.saveWithTrace("trace", { id: "cp1", state: { messages: ["hi"], step: 1 } }, GRAPH_A);
    await store.saveWithTrace("trace", { id: "cp2", state: { messages: ["hi", "hello"], step: 2 } }, GRAPH_A);
    expect(await store.load("cp1", GRAPH_A)).toEqual({ id: "cp1", state: { messages: ["hi"], step: 1 } });
    expect((await store.loadLatest("trace", GRAPH_A))?.state.step).toBe(2);
    expect(await store.load("nope", GRAPH_A)).toBeUndefined();
    expect(await store.loadLatest("no-trace", GRAPH_A)).toBeUndefined();
  });

  it("rejects with GRAPH_MISMATCH when the graph hash differs, without decoding the state", async () => {
    let decoded = 0;
    const json = jsonCodec<TypedCheckpoint<Chat>>();
    const counting: Codec<TypedCheckpoint<Chat>> = { encode: json.encode, decode: (b) => (decoded++, json.decode(b)) };
    const { store } = await typed(counting);
    await store.saveWithTrace("trace", { id: "cp", state: { messages: [], step: 0 } }, GRAPH_A);
    const e = await expectCode(store.load("cp", GRAPH_B), "GRAPH_MISMATCH");
    expect(e.message).toContain("0x0123456789abcdef");
    await expectCode(store.loadLatest("trace", GRAPH_B), "GRAPH_MISMATCH");
    expect(decoded).toBe(0);
    expect(await store.load("cp", GRAPH_A)).toBeDefined();
    expect(decoded).toBe(1);
  });

  it("takes a bare jsonCodec() as the README writes it, with state typed unknown, or typed by a type argument", async () => {
    const engine = await openEngine({ name: uniqueName("typed"), indexedDB: factory });
    engines.push(engine);
    // Both lines are what a user writes; `npm run typecheck` fails here if either stops compiling.
    const loose = new TypedCheckpointStore(engine.blobs, jsonCodec());
    const chat = new TypedCheckpointStore<Chat>(engine.blobs, jsonCodec());
    await loose.saveWithTrace("loose", { id: "l1", state: { anything: [1, "two"] } }, GRAPH_A);
    await chat.saveWithTrace("chat", { id: "c1", state: { messages: ["hi"], step: 1 } }, GRAPH_A);
    const a = await loose.loadLatest("loose", GRAPH_A);
    const b = await chat.loadLatest("chat", GRAPH_A);
    expectTypeOf(a!.state).toBeUnknown();
    expectTypeOf(b!.state).toEqualTypeOf<Chat>();
    expect(a).toEqual({ id: "l1", state: { anything: [1, "two"] } });
    expect(b?.state.messages).toEqual(["hi"]);
    // A codec of something else than checkpoints is refused by the compiler.
    const text: Codec<string> = { encode: (s) => new TextEncoder().encode(s), decode: (b) => new TextDecoder().decode(b) };
    // @ts-expect-error a Codec<string> cannot encode a checkpoint
    expect(() => new TypedCheckpointStore(engine.blobs, text)).not.toThrow();
  });

  it("rejects bad arguments with INVALID_ARGUMENT before anything is saved", async () => {
    const { store, engine } = await typed();
    await expectCode(store.saveWithTrace("", { id: "a", state: { messages: [], step: 0 } }, GRAPH_A), "INVALID_ARGUMENT");
    await expectCode(store.saveWithTrace("t", { id: "", state: { messages: [], step: 0 } }, GRAPH_A), "INVALID_ARGUMENT");
    await expectCode(store.saveWithTrace("t", null as never, GRAPH_A), "INVALID_ARGUMENT");
    await expectCode(store.saveWithTrace("t", { id: "a", state: { messages: [], step: 0 } }, 5 as never), "INVALID_ARGUMENT");
    await expectCode(store.load("a", -1n), "INVALID_ARGUMENT");
    await expectCode(store.loadLatest("", GRAPH_A), "INVALID_ARGUMENT");
    expect(await engine.blobs.list("t")).toEqual([]);
  });

  it("jsonCodec refuses values JSON would change and reports undecodable bytes as INTEGRITY", async () => {
    const { store, engine } = await typed<unknown>();
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    await expectCode(store.saveWithTrace("t", { id: "a", state: cyclic }, GRAPH_A), "INVALID_ARGUMENT");
    await expectCode(store.saveWithTrace("t", { id: "a", state: 10n }, GRAPH_A), "INVALID_ARGUMENT");
    expect(await engine.blobs.list("t")).toEqual([]);
    await engine.blobs.save("raw", "t", GRAPH_A, new Uint8Array([0xff, 0xfe, 0x00]));
    const err = await store.load("raw", GRAPH_A).catch((e: unknown) => e);
    expect(isStoreError(err, "INTEGRITY")).toBe(true);
  });
});
