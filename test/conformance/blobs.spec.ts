import { describe, expect, it } from "vitest";
import type { BlobCheckpointStore, Stores } from "../../src/types";
import type { Backend } from "./backend";
import { storesFor } from "./stores-for";
import { expectCode } from "./expect-code";
import { TypedCheckpointStore } from "../../src/typed-store";
import { jsonCodec } from "../../src/json-codec";
import type { Codec } from "../../src/codec";

const bytes = (...b: number[]) => new Uint8Array(b);
const MAX_U64 = 0xffff_ffff_ffff_ffffn;

export function blobsSpec(backend: Backend): void {
  describe(`blobs (seed 003) on ${backend.name}`, () => {
    const opened = storesFor(backend, "blobs");
    async function fresh(name?: string): Promise<{ blobs: BlobCheckpointStore; name: string; stores: Stores }> {
      const o = await opened.fresh(name);
      return { blobs: o.stores.blobs, ...o };
    }

    it("saves and loads bytes with their trace and the full 64-bit graph hash", async () => {
      const { blobs } = await fresh();
      await blobs.save("cp1", "trace", MAX_U64, bytes(1, 2));
      const loaded = await blobs.load("cp1");
      expect(Array.from(loaded!.bytes)).toEqual([1, 2]);
      expect(loaded!.record).toMatchObject({ checkpointId: "cp1", traceId: "trace", graphHash: MAX_U64, size: 2 });
      expect(typeof loaded!.record.graphHash).toBe("bigint");
      expect(await blobs.load("missing")).toBeUndefined();
    });

    it("loadLatest returns the trace's most recent save, and list gives save order", async () => {
      const { blobs } = await fresh();
      // Ids that sort against save order: the trace keeps save order, not id order.
      await blobs.save("z", "t", 1n, bytes(1));
      await blobs.save("a", "t", 1n, bytes(2));
      await blobs.save("m", "other", 1n, bytes(3));
      expect((await blobs.loadLatest("t"))!.record.checkpointId).toBe("a");
      expect((await blobs.list("t")).map((r) => r.checkpointId)).toEqual(["z", "a"]);
      expect(await blobs.loadLatest("none")).toBeUndefined();
      expect(await blobs.list("none")).toEqual([]);
    });

    it("keeps call order for saves made without waiting, however long each takes to compress", async () => {
      const { blobs } = await fresh();
      const large = new Uint8Array(2_000_000).map((_, i) => (i * 7 + (i >> 9)) % 61 + 32);
      await Promise.all([blobs.save("first", "t", 1n, large), blobs.save("second", "t", 1n, bytes(2))]);
      expect((await blobs.loadLatest("t"))!.record.checkpointId).toBe("second");
      expect((await blobs.list("t")).map((r) => r.checkpointId)).toEqual(["first", "second"]);
      await Promise.all([blobs.save("gone", "t", 1n, large), blobs.delete("gone")]);
      expect(await blobs.load("gone")).toBeUndefined();
    });

    it("reads called right after a save, without waiting for it, see that save", async () => {
      const { blobs } = await fresh();
      const large = new Uint8Array(2_000_000).map((_, i) => (i * 5 + (i >> 8)) % 53 + 32);
      const saving = blobs.save("a", "t", 7n, large);
      const [loaded, latest, list] = await Promise.all([blobs.load("a"), blobs.loadLatest("t"), blobs.list("t")]);
      await saving;
      expect(loaded?.bytes.length).toBe(2_000_000);
      expect(latest?.record).toMatchObject({ checkpointId: "a", graphHash: 7n });
      expect(list.map((r) => r.checkpointId)).toEqual(["a"]);
    });

    it("saving an id again replaces its bytes and makes it the trace's latest", async () => {
      const { blobs } = await fresh();
      await blobs.save("a", "t", 1n, bytes(1));
      await blobs.save("b", "t", 1n, bytes(2));
      await blobs.save("a", "t", 2n, bytes(9));
      const latest = await blobs.loadLatest("t");
      expect(latest!.record).toMatchObject({ checkpointId: "a", graphHash: 2n });
      expect(Array.from(latest!.bytes)).toEqual([9]);
      expect((await blobs.list("t")).map((r) => r.checkpointId)).toEqual(["b", "a"]);
    });

    it("delete says whether the checkpoint existed and moves latest back", async () => {
      const { blobs, name } = await fresh();
      const before = await backend.countRows(name);
      await blobs.save("a", "t", 1n, new Uint8Array(40_000).fill(3));
      await blobs.save("b", "t", 1n, bytes(2));
      expect(await blobs.delete("b")).toBe(true);
      expect(await blobs.delete("b")).toBe(false);
      expect((await blobs.loadLatest("t"))!.record.checkpointId).toBe("a");
      expect(await blobs.delete("a")).toBe(true);
      expect(await blobs.loadLatest("t")).toBeUndefined();
      expect(await backend.countRows(name)).toEqual(before);
    });

    it("keeps blobs after the database is closed and reopened", async () => {
      const first = await fresh();
      await first.blobs.save("a", "t", 42n, bytes(4, 2));
      await opened.closeNow(first.stores);
      const { blobs } = await fresh(first.name);
      const latest = await blobs.loadLatest("t");
      expect(latest!.record.graphHash).toBe(42n);
      expect(Array.from(latest!.bytes)).toEqual([4, 2]);
    });

    it("two stores on one database see each other's saves in commit order", async () => {
      const a = await fresh();
      const b = await fresh(a.name);
      await a.blobs.save("1", "t", 1n, bytes(1));
      await b.blobs.save("2", "t", 1n, bytes(2));
      await a.blobs.save("3", "t", 1n, bytes(3));
      expect((await b.blobs.list("t")).map((r) => r.checkpointId)).toEqual(["1", "2", "3"]);
      expect((await b.blobs.loadLatest("t"))!.record.checkpointId).toBe("3");
    });

    it("TypedCheckpointStore round-trips plain data through jsonCodec, by id and as the trace's latest", async () => {
      const { blobs } = await fresh();
      const typed = new TypedCheckpointStore(blobs, jsonCodec());
      const states: unknown[] = [
        { messages: [{ role: "user", content: "héllo \u{1F600}" }], step: 3, done: false, none: null, ratio: -1.5e-300 },
        [],
        "",
        0,
        null,
        { nested: { deeper: [[1, [2, { three: "3" }]]] }, "__proto__ as text": "__proto__", "": "empty key" },
      ];
      for (const [i, state] of states.entries()) {
        await typed.saveWithTrace("trace", { id: `cp${i}`, state }, MAX_U64);
        expect(await typed.load(`cp${i}`, MAX_U64)).toEqual({ id: `cp${i}`, state });
        expect(await typed.loadLatest("trace", MAX_U64)).toEqual({ id: `cp${i}`, state });
      }
      expect(await typed.load("absent", MAX_U64)).toBeUndefined();
      expect(await typed.loadLatest("no-such-trace", MAX_U64)).toBeUndefined();
    });

    it("TypedCheckpointStore rejects with GRAPH_MISMATCH when the stored hash differs, on load and on a latest that another graph wrote", async () => {
      const { blobs } = await fresh();
      const typed = new TypedCheckpointStore(blobs, jsonCodec());
      await typed.saveWithTrace("trace", { id: "old", state: { v: 1 } }, 1n);
      await typed.saveWithTrace("trace", { id: "new", state: { v: 2 } }, 2n);
      await expectCode(typed.load("old", 2n), "GRAPH_MISMATCH");
      await expectCode(typed.load("new", 0n), "GRAPH_MISMATCH");
      // Latest is the trace's newest checkpoint: an older one of the expected graph is not used instead.
      await expectCode(typed.loadLatest("trace", 1n), "GRAPH_MISMATCH");
      expect(await typed.loadLatest("trace", 2n)).toEqual({ id: "new", state: { v: 2 } });
      expect(await typed.load("old", 1n)).toEqual({ id: "old", state: { v: 1 } });
    });

    it("jsonCodec refuses with INVALID_ARGUMENT what JSON would change, and nothing is saved", async () => {
      const { blobs } = await fresh();
      const typed = new TypedCheckpointStore(blobs, jsonCodec());
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      class Point {
        x = 1;
      }
      const lossy: Record<string, unknown> = {
        nan: { x: Number.NaN },
        infinity: [Infinity],
        negInfinity: -Infinity,
        undefinedItem: [1, undefined, 3],
        hole: [1, , 3],
        date: { at: new Date(0) },
        map: new Map([["k", 1]]),
        set: { s: new Set([1]) },
        typedArray: { b: new Uint8Array([1, 2]) },
        instance: { p: new Point() },
        fn: { f: () => 1 },
        symbol: { s: Symbol("s") },
        toJSON: { toJSON: () => "other" },
        cyclic,
        bigint: { n: 1n },
      };
      for (const [id, state] of Object.entries(lossy)) await expectCode(typed.saveWithTrace("lossy", { id, state }, 1n), "INVALID_ARGUMENT");
      expect(await blobs.list("lossy")).toEqual([]);
      // What reads back the same is kept: a property set to undefined is left out, -0 is 0.
      await typed.saveWithTrace("kept", { id: "k", state: { a: undefined, b: -0 } }, 1n);
      expect((await typed.load("k", 1n))?.state).toEqual({ b: 0 });
    });

    it("TypedCheckpointStore reports a codec of the app's own that throws as a StoreError: INVALID_ARGUMENT on encode, INTEGRITY on decode", async () => {
      const { blobs } = await fresh();
      const failing = (where: "encode" | "decode"): Codec<{ id: string; state: unknown }> => ({
        encode: (v) => {
          if (where === "encode") throw new RangeError("cannot encode");
          return new TextEncoder().encode(JSON.stringify(v));
        },
        decode: (b) => {
          if (where === "decode") throw new SyntaxError("cannot decode");
          return JSON.parse(new TextDecoder().decode(b)) as { id: string; state: unknown };
        },
      });
      await expectCode(new TypedCheckpointStore(blobs, failing("encode")).saveWithTrace("t", { id: "a", state: 1 }, 1n), "INVALID_ARGUMENT");
      expect(await blobs.list("t")).toEqual([]);
      const decodeFails = new TypedCheckpointStore(blobs, failing("decode"));
      await decodeFails.saveWithTrace("t", { id: "a", state: 1 }, 1n);
      const e = await expectCode(decodeFails.load("a", 1n), "INTEGRITY");
      expect((e as Error & { cause?: unknown }).cause).toBeInstanceOf(SyntaxError);
      await expectCode(decodeFails.loadLatest("t", 1n), "INTEGRITY");
    });

    it("rejects bad arguments with INVALID_ARGUMENT and writes nothing", async () => {
      const { blobs, name } = await fresh();
      await blobs.save("a", "t", 1n, bytes(1));
      const before = await backend.countRows(name);
      const bad: Array<() => Promise<unknown>> = [
        () => blobs.save("", "t", 1n, bytes(1)),
        () => blobs.save("x", "", 1n, bytes(1)),
        () => blobs.save("x", "t", 1 as never, bytes(1)),
        () => blobs.save("x", "t", -1n, bytes(1)),
        () => blobs.save("x", "t", MAX_U64 + 1n, bytes(1)),
        () => blobs.save("x", "t", 1n, [1] as never),
        () => blobs.load(""),
        () => blobs.loadLatest(5 as never),
        () => blobs.list(""),
        () => blobs.delete(null as never),
      ];
      for (const call of bad) await expectCode(call(), "INVALID_ARGUMENT");
      expect(await backend.countRows(name)).toEqual(before);
    });
  });
}
