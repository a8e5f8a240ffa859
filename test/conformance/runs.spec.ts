import { describe, expect, it } from "vitest";
import type { RunStore, Stores } from "../../src/types";
import type { Backend } from "./backend";
import { storesFor } from "./stores-for";
import { expectCode } from "./expect-code";

const bytes = (...b: number[]) => new Uint8Array(b);

export function runsSpec(backend: Backend): void {
  describe(`runs (seed 002) on ${backend.name}`, () => {
    const opened = storesFor(backend, "runs");
    async function fresh(name?: string): Promise<{ runs: RunStore; name: string; stores: Stores }> {
      const o = await opened.fresh(name);
      return { runs: o.stores.runs, ...o };
    }

    it("creates a run running, reads it back and updates its status", async () => {
      const { runs } = await fresh();
      const created = await runs.createRun("r1", "summarise", { url: "https://example.com", depth: 2 });
      expect(created).toMatchObject({ runId: "r1", workflow: "summarise", params: { url: "https://example.com", depth: 2 }, status: "running" });
      expect(await runs.getRun("r1")).toEqual(created);
      await runs.updateRunStatus("r1", "completed");
      const updated = await runs.getRun("r1");
      expect(updated?.status).toBe("completed");
      expect(updated!.updatedAt).toBeGreaterThanOrEqual(created.updatedAt);
      expect(updated!.createdAt).toBe(created.createdAt);
      expect(await runs.getRun("nope")).toBeUndefined();
    });

    it("rejects a second createRun of the same id with CONFLICT and keeps the first", async () => {
      const { runs } = await fresh();
      await runs.createRun("r", "w1", { a: 1 });
      await expectCode(runs.createRun("r", "w2", {}), "CONFLICT");
      expect((await runs.getRun("r"))?.workflow).toBe("w1");
    });

    it("rejects status updates, checkpoints and events of unknown runs with NOT_FOUND", async () => {
      const { runs, name } = await fresh();
      const before = await backend.countRows(name);
      await expectCode(runs.updateRunStatus("ghost", "failed"), "NOT_FOUND");
      await expectCode(runs.saveCheckpoint("ghost", "n", bytes(1)), "NOT_FOUND");
      await expectCode(runs.appendEvent({ runId: "ghost", kind: "x" }), "NOT_FOUND");
      expect(await backend.countRows(name)).toEqual(before);
    });

    it("numbers checkpoints 1, 2, 3 per run across its nodes and loads a node's latest or any by seq", async () => {
      const { runs } = await fresh();
      await runs.createRun("r", "w", {});
      const a1 = await runs.saveCheckpoint("r", "fetch", bytes(1), { note: "first" });
      const b1 = await runs.saveCheckpoint("r", "parse", bytes(10));
      const a2 = await runs.saveCheckpoint("r", "fetch", bytes(2));
      expect([a1.seq, b1.seq, a2.seq]).toEqual([1, 2, 3]);
      expect(a1).toMatchObject({ runId: "r", nodeId: "fetch", size: 1, metadata: { note: "first" } });
      const latest = await runs.loadCheckpoint("r", "fetch");
      expect(latest?.meta.seq).toBe(3);
      expect(Array.from(latest!.state)).toEqual([2]);
      const first = await runs.loadCheckpointAt("r", "fetch", 1);
      expect(Array.from(first!.state)).toEqual([1]);
      expect(first!.meta.metadata).toEqual({ note: "first" });
      expect(Array.from((await runs.loadCheckpointAt("r", "parse", 2))!.state)).toEqual([10]);
      // A seq names one checkpoint of the run: asked for under another node, there is none.
      expect(await runs.loadCheckpointAt("r", "fetch", 2)).toBeUndefined();
      expect(await runs.loadCheckpointAt("r", "parse", 1)).toBeUndefined();
      expect(await runs.loadCheckpointAt("r", "fetch", 4)).toBeUndefined();
      expect(await runs.loadCheckpoint("r", "none")).toBeUndefined();
      expect(await runs.loadCheckpoint("other", "fetch")).toBeUndefined();
    });

    it("reads called right after writes, without waiting for them, see those writes", async () => {
      const { runs } = await fresh();
      const large = new Uint8Array(2_000_000).map((_, i) => (i * 3 + (i >> 9)) % 59 + 32);
      const writes = Promise.all([runs.createRun("r", "w", {}), runs.saveCheckpoint("r", "n", large), runs.appendEvent({ runId: "r", kind: "started" }), runs.updateRunStatus("r", "completed")]);
      const [run, latest, at, all, node, events] = await Promise.all([
        runs.getRun("r"),
        runs.loadCheckpoint("r", "n"),
        runs.loadCheckpointAt("r", "n", 1),
        runs.listCheckpoints("r"),
        runs.listNodeCheckpoints("r", "n"),
        runs.getEvents("r", null, 10),
      ]);
      await writes;
      expect(run?.status).toBe("completed");
      expect(latest?.state.length).toBe(2_000_000);
      expect(at?.meta.seq).toBe(1);
      expect(all.map((m) => m.seq)).toEqual([1]);
      expect(node.map((m) => m.seq)).toEqual([1]);
      expect(events.map((e) => e.kind)).toEqual(["started"]);
    });

    it("numbers checkpoints saved without waiting in call order, however long each takes to compress, and applies a status change after them", async () => {
      const { runs } = await fresh();
      const large = new Uint8Array(2_000_000).map((_, i) => (i * 7 + (i >> 9)) % 61 + 32);
      const [run] = await Promise.all([runs.createRun("r", "w", {}), runs.saveCheckpoint("r", "n", large), runs.saveCheckpoint("r", "n", bytes(2)), runs.updateRunStatus("r", "completed")]);
      expect(run.status).toBe("running");
      expect((await runs.listNodeCheckpoints("r", "n")).map((m) => [m.seq, m.size])).toEqual([[1, large.length], [2, 1]]);
      expect(Array.from((await runs.loadCheckpoint("r", "n"))!.state)).toEqual([2]);
      expect((await runs.getRun("r"))!.status).toBe("completed");
    });

    it("lists a run's checkpoints in save order (their seqs ascending) and a node's by seq", async () => {
      const { runs } = await fresh();
      await runs.createRun("r", "w", {});
      await runs.saveCheckpoint("r", "z", bytes(1));
      await runs.saveCheckpoint("r", "a", bytes(2));
      await runs.saveCheckpoint("r", "z", bytes(3));
      await runs.saveCheckpoint("r", "a", bytes(4));
      expect((await runs.listCheckpoints("r")).map((m) => `${m.nodeId}${m.seq}`)).toEqual(["z1", "a2", "z3", "a4"]);
      expect((await runs.listNodeCheckpoints("r", "a")).map((m) => m.seq)).toEqual([2, 4]);
      expect(await runs.listNodeCheckpoints("r", "missing")).toEqual([]);
      expect(await runs.listCheckpoints("unknown")).toEqual([]);
    });

    it("appends events with dense, increasing seqs and pages through them", async () => {
      const { runs } = await fresh();
      await runs.createRun("r", "w", {});
      await runs.createRun("r2", "w", {});
      const seqs: number[] = [];
      for (let i = 0; i < 12; i++) seqs.push(await runs.appendEvent({ runId: "r", kind: "step", nodeId: "n", data: { i } }));
      expect(await runs.appendEvent({ runId: "r2", kind: "other" })).toBe(1);
      expect(seqs).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
      const all = await runs.getEvents("r", undefined, 100);
      expect(all.map((e) => e.seq)).toEqual(seqs);
      expect(all[3]).toMatchObject({ runId: "r", kind: "step", nodeId: "n", data: { i: 3 }, seq: 4 });
      expect(typeof all[3].timestamp).toBe("number");
      expect((await runs.getEvents("r", 5, 3)).map((e) => e.seq)).toEqual([6, 7, 8]);
      expect(await runs.getEvents("r", 12, 10)).toEqual([]);
      expect(await runs.getEvents("r", undefined, 0)).toEqual([]);
      expect((await runs.getEvents("r2", 0, 10)).map((e) => e.kind)).toEqual(["other"]);
    });

    it("takes null, as undefined, for the contract's optional sinceSeq, checkpoint metadata and event nodeId", async () => {
      const { runs } = await fresh();
      await runs.createRun("r", "w", {});
      const cp = await runs.saveCheckpoint("r", "n", bytes(1), null);
      expect(cp).not.toHaveProperty("metadata");
      expect((await runs.loadCheckpointAt("r", "n", cp.seq))!.meta).not.toHaveProperty("metadata");
      expect(await runs.appendEvent({ runId: "r", kind: "k", nodeId: null })).toBe(1);
      await runs.appendEvent({ runId: "r", kind: "k", nodeId: "n" });
      const events = await runs.getEvents("r", null, 10);
      expect(events.map((e) => [e.seq, e.nodeId])).toEqual([[1, undefined], [2, "n"]]);
      expect(events[0]).not.toHaveProperty("nodeId");
      expect((await runs.getEvents("r", 1, 10)).map((e) => e.seq)).toEqual([2]);
    });

    it("getEvents takes any whole limit: one past 2^32, or Number.MAX_SAFE_INTEGER for all, returns every later event", async () => {
      const { runs } = await fresh();
      await runs.createRun("r", "w", {});
      for (let i = 0; i < 4; i++) await runs.appendEvent({ runId: "r", kind: "k", data: { i } });
      for (const limit of [2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1, Number.MAX_SAFE_INTEGER]) {
        expect((await runs.getEvents("r", undefined, limit)).map((e) => e.seq)).toEqual([1, 2, 3, 4]);
        expect((await runs.getEvents("r", 2, limit)).map((e) => e.seq)).toEqual([3, 4]);
      }
      expect(await runs.getEvents("r", Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER)).toEqual([]);
    });

    it("deleteRun removes the run, its checkpoints and events, and says whether it existed", async () => {
      const { runs, name } = await fresh();
      const before = await backend.countRows(name);
      await runs.createRun("r", "w", {});
      await runs.saveCheckpoint("r", "n", new Uint8Array(50_000).fill(7));
      await runs.appendEvent({ runId: "r", kind: "k" });
      expect(await runs.deleteRun("r")).toBe(true);
      expect(await runs.deleteRun("r")).toBe(false);
      expect(await runs.getRun("r")).toBeUndefined();
      expect(await runs.loadCheckpoint("r", "n")).toBeUndefined();
      expect(await runs.getEvents("r", undefined, 10)).toEqual([]);
      expect(await backend.countRows(name)).toEqual(before);
      // A run made again under the same id starts its numbering afresh.
      await runs.createRun("r", "w", {});
      expect(await runs.appendEvent({ runId: "r", kind: "k" })).toBe(1);
    });

    it("keeps runs, checkpoints and events after the database is closed and reopened", async () => {
      const first = await fresh();
      await first.runs.createRun("r", "w", { p: 1 });
      await first.runs.saveCheckpoint("r", "n", bytes(9, 9));
      await first.runs.appendEvent({ runId: "r", kind: "k" });
      await opened.closeNow(first.stores);
      const { runs } = await fresh(first.name);
      expect((await runs.getRun("r"))?.params).toEqual({ p: 1 });
      expect(Array.from((await runs.loadCheckpoint("r", "n"))!.state)).toEqual([9, 9]);
      expect(await runs.appendEvent({ runId: "r", kind: "k" })).toBe(2);
      expect((await runs.saveCheckpoint("r", "n", bytes(1))).seq).toBe(2);
    });

    it("two stores on one database append to one run with dense sequence numbers", async () => {
      const a = await fresh();
      const b = await fresh(a.name);
      await a.runs.createRun("r", "w", {});
      const calls: Array<Promise<number>> = [];
      for (let i = 0; i < 40; i++) calls.push((i % 2 ? a : b).runs.appendEvent({ runId: "r", kind: "k", data: { i } }));
      const seqs = await Promise.all(calls);
      expect([...seqs].sort((x, y) => x - y)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
      const cps = await Promise.all([0, 1, 2, 3, 4, 5].map((i) => (i % 2 ? a : b).runs.saveCheckpoint("r", "n", bytes(i))));
      expect(cps.map((c) => c.seq).sort()).toEqual([1, 2, 3, 4, 5, 6]);
      expect((await b.runs.getEvents("r", undefined, 100)).map((e) => e.seq)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    });

    it("rejects bad arguments with INVALID_ARGUMENT and writes nothing", async () => {
      const { runs, name } = await fresh();
      await runs.createRun("r", "w", {});
      const before = await backend.countRows(name);
      const bad: Array<() => Promise<unknown>> = [
        () => runs.createRun("", "w", {}),
        () => runs.createRun("x", "", {}),
        () => runs.createRun("x", "w", null as never),
        () => runs.createRun("x", "w", JSON.parse('{"__proto__": {"polluted": 1}}')),
        () => runs.updateRunStatus("r", "exploded" as never),
        () => runs.updateRunStatus("", "failed"),
        () => runs.saveCheckpoint("r", "n", "bytes" as never),
        () => runs.saveCheckpoint("r", "", new Uint8Array(1)),
        () => runs.saveCheckpoint("r", "n", new Uint8Array(1), { n: 1 } as never),
        () => runs.loadCheckpointAt("r", "n", -1),
        () => runs.loadCheckpointAt("r", "n", 1.5),
        () => runs.loadCheckpointAt("r", "n", Number.NaN),
        () => runs.appendEvent(null as never),
        () => runs.appendEvent({ runId: "r", kind: "" }),
        () => runs.appendEvent({ runId: "r", kind: "k", data: { constructor: 1 } }),
        // An id too long in an event over the size limit: the id is what is wrong with it.
        () => runs.appendEvent({ runId: "r".repeat(2_200_000), kind: "k" }),
        () => runs.getEvents("r", -1, 10),
        () => runs.getEvents("r", undefined, -5),
        () => runs.getEvents("r", undefined, 2.5),
        () => runs.deleteRun(""),
      ];
      for (const call of bad) await expectCode(call(), "INVALID_ARGUMENT");
      expect(await backend.countRows(name)).toEqual(before);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });
  });
}
