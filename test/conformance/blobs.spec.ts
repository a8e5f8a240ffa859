import { describe, expect, it } from "vitest";
import type { BlobCheckpointStore, Stores } from "../../src/types";
import type { Backend } from "./backend";
import { storesFor } from "./stores-for";
import { expectCode } from "./expect-code";

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
