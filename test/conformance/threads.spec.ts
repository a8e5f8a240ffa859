import { describe, expect, it, vi } from "vitest";
import type { Stores, ThreadCheckpointStore } from "../../src/types";
import type { Backend } from "./backend";
import { storesFor } from "./stores-for";
import { expectCode } from "./expect-code";

const bytes = (...b: number[]) => new Uint8Array(b);
const big = (n: number, seed = 1) => {
  // Mixed text-like content: compressible but not trivially so.
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * seed + (i >> 7)) % 61 + 32;
  return out;
};

export function threadsSpec(backend: Backend): void {
  describe(`threads (seed 000) on ${backend.name}`, () => {
    const opened = storesFor(backend, "threads");
    async function fresh(name?: string): Promise<{ threads: ThreadCheckpointStore; name: string; stores: Stores }> {
      const o = await opened.fresh(name);
      return { threads: o.stores.threads, ...o };
    }

    it("saves and loads a checkpoint's bytes and metadata", async () => {
      const { threads } = await fresh();
      const id = await threads.save("t1", { step: 1, tags: ["a"], nested: { ok: true } }, bytes(1, 2, 3));
      expect(typeof id).toBe("string");
      const { meta, state } = await threads.load("t1", id);
      expect(Array.from(state)).toEqual([1, 2, 3]);
      expect(meta).toMatchObject({ threadId: "t1", checkpointId: id, size: 3, metadata: { step: 1, tags: ["a"], nested: { ok: true } } });
      expect(typeof meta.createdAt).toBe("number");
    });

    it("commits saves made without waiting in call order, however long each takes to compress, and a thread delete after them", async () => {
      const { threads } = await fresh();
      // The first takes the engine far longer to chunk and compress than the second.
      const ids = await Promise.all([threads.save("t", { n: 1 }, big(2_000_000, 3)), threads.save("t", { n: 2 }, bytes(2))]);
      const latest = await threads.loadLatest("t");
      expect(latest.meta.checkpointId).toBe(ids[1]);
      expect(Array.from(latest.state)).toEqual([2]);
      expect((await threads.list("t")).map((m) => m.metadata)).toEqual([{ n: 1 }, { n: 2 }]);
      const saving = threads.save("u", {}, big(2_000_000, 5));
      const deleting = threads.deleteThread("u");
      await Promise.all([saving, deleting]);
      expect(await threads.count("u")).toBe(0);
      expect(await threads.listThreads()).toEqual(["t"]);
    });

    it("reads called right after saves, without waiting for them, see those saves", async () => {
      const { threads } = await fresh();
      // The save still compresses when the reads are called; each read answers after it.
      const saving = threads.save("t", { n: 1 }, big(2_000_000, 7));
      const [latest, list, count, names] = await Promise.all([threads.loadLatest("t"), threads.list("t"), threads.count("t"), threads.listThreads()]);
      const id = await saving;
      expect(latest.meta.checkpointId).toBe(id);
      expect(latest.state.length).toBe(2_000_000);
      expect(list.map((m) => m.checkpointId)).toEqual([id]);
      expect(count).toBe(1);
      expect(names).toEqual(["t"]);
      const second = threads.save("t", { n: 2 }, bytes(3));
      expect((await threads.load("t", await second)).meta.metadata).toEqual({ n: 2 });
    });

    it("round-trips empty, large and incompressible states byte for byte", async () => {
      const { threads } = await fresh();
      const random = new Uint8Array(100_000);
      for (let i = 0; i < random.length; i += 65536) crypto.getRandomValues(random.subarray(i, i + 65536));
      for (const state of [new Uint8Array(0), big(300_000), random]) {
        const id = await threads.save("t", {}, state);
        const loaded = await threads.load("t", id);
        expect(loaded.state.length).toBe(state.length);
        expect(loaded.state).toEqual(state);
        expect(loaded.meta.size).toBe(state.length);
      }
    });

    it("makes ids that sort by creation order, also many within one millisecond", async () => {
      const { threads } = await fresh();
      const ids: string[] = [];
      for (let i = 0; i < 30; i++) ids.push(await threads.save("t", { i }, bytes(i)));
      expect(new Set(ids).size).toBe(30);
      expect([...ids].sort()).toEqual(ids);
      expect((await threads.list("t")).map((m) => m.checkpointId)).toEqual(ids);
      expect((await threads.list("t")).map((m) => m.metadata.i)).toEqual(ids.map((_, i) => i));
    });

    it("never hands out an id again after a thread's checkpoints are all deleted, also within one millisecond", async () => {
      const { threads } = await fresh();
      // The clock stands still (where the store runs in this thread): every save is in one millisecond.
      vi.useFakeTimers({ toFake: ["Date"], now: Date.now() });
      try {
        const ids: string[] = [];
        for (let i = 0; i < 3; i++) {
          ids.push(await threads.save("t", { i }, bytes(i)));
          await threads.delete("t", ids[ids.length - 1]);
          ids.push(await threads.save("t", { i }, bytes(i)));
          await threads.deleteThread("t");
        }
        const last = await threads.save("t", {}, bytes(9));
        expect(new Set([...ids, last]).size).toBe(ids.length + 1);
        expect([...ids, last]).toEqual([...ids, last].sort());
        expect((await threads.loadLatest("t")).meta.checkpointId).toBe(last);
      } finally {
        vi.useRealTimers();
      }
    });

    it("loadLatest returns the newest checkpoint and follows deletes of the newest", async () => {
      const { threads } = await fresh();
      const a = await threads.save("t", { n: "a" }, bytes(1));
      const b = await threads.save("t", { n: "b" }, bytes(2));
      expect((await threads.loadLatest("t")).meta.checkpointId).toBe(b);
      await threads.delete("t", b);
      const latest = await threads.loadLatest("t");
      expect(latest.meta.checkpointId).toBe(a);
      expect(Array.from(latest.state)).toEqual([1]);
      const c = await threads.save("t", { n: "c" }, bytes(3));
      expect(c > a).toBe(true);
      expect((await threads.loadLatest("t")).meta.checkpointId).toBe(c);
    });

    it("counts checkpoints per thread and lists threads that have any, in id order", async () => {
      const { threads } = await fresh();
      expect(await threads.count("none")).toBe(0);
      expect(await threads.listThreads()).toEqual([]);
      await threads.save("b", {}, bytes(1));
      await threads.save("a", {}, bytes(1));
      const a2 = await threads.save("a", {}, bytes(2));
      expect(await threads.count("a")).toBe(2);
      expect(await threads.count("b")).toBe(1);
      expect(await threads.listThreads()).toEqual(["a", "b"]);
      await threads.delete("a", a2);
      expect(await threads.count("a")).toBe(1);
      await threads.deleteThread("b");
      expect(await threads.count("b")).toBe(0);
      expect(await threads.listThreads()).toEqual(["a"]);
    });

    it("keeps threads apart, also threads whose ids are prefixes of each other", async () => {
      const { threads } = await fresh();
      await threads.save("t", { who: "t" }, bytes(1));
      await threads.save("t1", { who: "t1" }, bytes(2));
      expect((await threads.list("t")).map((m) => m.metadata.who)).toEqual(["t"]);
      await threads.deleteThread("t");
      expect(await threads.count("t1")).toBe(1);
      expect(Array.from((await threads.loadLatest("t1")).state)).toEqual([2]);
    });

    it("rejects loads with NOT_FOUND for unknown checkpoints and empty threads; deletes of what is not there succeed and change nothing", async () => {
      const { threads, name } = await fresh();
      await expectCode(threads.load("t", "nope"), "NOT_FOUND");
      await expectCode(threads.loadLatest("t"), "NOT_FOUND");
      await threads.delete("t", "nope");
      const id = await threads.save("t", {}, bytes(1));
      const rows = await backend.countRows(name);
      await threads.delete("t", "nope");
      await threads.delete("other", id);
      expect(await backend.countRows(name)).toEqual(rows);
      expect(await threads.count("t")).toBe(1);
      await expectCode(threads.load("other", id), "NOT_FOUND");
      await threads.delete("t", id);
      await expectCode(threads.load("t", id), "NOT_FOUND");
      await expectCode(threads.loadLatest("t"), "NOT_FOUND");
      expect(await threads.list("t")).toEqual([]);
      await threads.deleteThread("never-existed");
    });

    it("deleting every checkpoint leaves no rows behind", async () => {
      const { threads, name } = await fresh();
      const before = await backend.countRows(name);
      for (let i = 0; i < 5; i++) await threads.save("t", { i }, big(20_000 + i, i + 1));
      const id = await threads.save("u", {}, big(50_000));
      await threads.deleteThread("t");
      await threads.delete("u", id);
      expect(await backend.countRows(name)).toEqual(before);
    });

    it("keeps everything after the database is closed and reopened", async () => {
      const first = await fresh();
      const id = await first.threads.save("t", { kept: true }, big(10_000));
      await opened.closeNow(first.stores);
      const second = await fresh(first.name);
      const latest = await second.threads.loadLatest("t");
      expect(latest.meta).toMatchObject({ checkpointId: id, metadata: { kept: true } });
      expect(latest.state).toEqual(big(10_000));
      expect(await second.threads.count("t")).toBe(1);
    });

    it("two stores on one database interleave saves into one ordered thread", async () => {
      const a = await fresh();
      const b = await fresh(a.name);
      const saves: Array<Promise<string>> = [];
      for (let i = 0; i < 20; i++) saves.push((i % 2 ? a : b).threads.save("shared", { i }, bytes(i)));
      const ids = await Promise.all(saves);
      expect(new Set(ids).size).toBe(20);
      expect(await a.threads.count("shared")).toBe(20);
      const listed = (await b.threads.list("shared")).map((m) => m.checkpointId);
      expect(listed).toEqual([...ids].sort());
      expect((await a.threads.loadLatest("shared")).meta.checkpointId).toBe(listed[19]);
      expect((await b.threads.loadLatest("shared")).meta.checkpointId).toBe(listed[19]);
    });

    it("rejects bad arguments with INVALID_ARGUMENT and writes nothing", async () => {
      const { threads, name } = await fresh();
      await threads.save("t", {}, bytes(1));
      const before = await backend.countRows(name);
      const bad: Array<() => Promise<unknown>> = [
        () => threads.save("", {}, bytes(1)),
        () => threads.save(42 as never, {}, bytes(1)),
        () => threads.save("t", {}, [1, 2, 3] as never),
        () => threads.save("t", {}, "state" as never),
        () => threads.save("t", null as never, bytes(1)),
        () => threads.save("t", JSON.parse('{"__proto__": {"polluted": 1}}'), bytes(1)),
        () => threads.save("t", { constructor: 1 }, bytes(1)),
        () => threads.save("t", { a: { prototype: 1 } }, bytes(1)),
        () => threads.save("t", { f: (() => 1) as unknown }, bytes(1)),
        () => threads.save("\ud800", {}, bytes(1)),
        () => threads.load("t", ""),
        () => threads.load(undefined as never, "x"),
        () => threads.loadLatest(""),
        () => threads.list({} as never),
        () => threads.delete("t", null as never),
        () => threads.deleteThread(""),
        () => threads.count(7 as never),
      ];
      for (const call of bad) await expectCode(call(), "INVALID_ARGUMENT");
      expect(await backend.countRows(name)).toEqual(before);
      expect(await threads.count("t")).toBe(1);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });
  });
}
