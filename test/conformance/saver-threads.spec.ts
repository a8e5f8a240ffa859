import { describe, expect, it } from "vitest";
import type { CheckpointSaver, SaverPutRequest, SerializedValue, StoredSaverTuple } from "../../src/types";
import type { Backend } from "./backend";
import { storesFor } from "./stores-for";
import { expectCode } from "./expect-code";

/**
 * The saver's whole-thread operations (copyThread, prune, deleteForRuns, listThreads) and its
 * batch, with the semantics LangGraph's Python checkpoint conformance package gives copy_thread,
 * prune and delete_for_runs; and, beyond it, that the storage they free is freed: the rows left
 * are those a database holding only what survived would have.
 */

const enc = new TextEncoder();
const dec = new TextDecoder();
const sv = (text: string, type = "json"): SerializedValue => [type, enc.encode(text)];
/** Big enough to live in rows of its own (small payloads travel inside their reference). */
const big = (tag: string) => `${tag}:${"payload ".repeat(400)}${tag}`;

interface Step {
  thread: string;
  ns?: string;
  id: string;
  parent?: string;
  /** channel -> [version, value, new in this put] */
  values?: Record<string, [number, string, boolean?]>;
  runId?: string;
  writes?: Array<[channel: string, value: string]>;
}

function putOf(s: Step): SaverPutRequest {
  const values = Object.entries(s.values ?? {});
  const metadata = JSON.stringify(s.runId && !s.runId.startsWith("cfg:") ? { step: s.id, run_id: s.runId } : { step: s.id });
  const r: SaverPutRequest = {
    threadId: s.thread,
    ns: s.ns ?? "",
    checkpointId: s.id,
    v: 4,
    checkpoint: sv(big(`cp-${s.thread}-${s.id}`)),
    metadata: sv(metadata),
    metadataIndex: Object.fromEntries(Object.entries(JSON.parse(metadata) as Record<string, unknown>).map(([k, v]) => [k, JSON.stringify(v)])),
    channelVersions: Object.fromEntries(values.map(([c, [v]]) => [c, v])),
    blobs: values.filter(([, [, , isNew]]) => isNew !== false).map(([channel, [version, value]]) => ({ channel, version, value: sv(big(value)) })),
  };
  if (s.parent) r.parentId = s.parent;
  // A run id LangGraph.js keeps beside the metadata.
  if (s.runId?.startsWith("cfg:")) r.runId = s.runId.slice(4);
  return r;
}

async function play(saver: CheckpointSaver, steps: Step[]): Promise<void> {
  for (const s of steps) {
    await saver.put(putOf(s));
    if (s.writes) {
      await saver.putWrites({
        threadId: s.thread,
        ns: s.ns ?? "",
        checkpointId: s.id,
        taskId: `task-${s.id}`,
        taskPath: "p",
        writes: s.writes.map(([channel, value], idx) => ({ idx, channel, value: sv(big(value)) })),
      });
    }
  }
}

/** A thread of three root checkpoints and two in a subgraph, values carried across versions. */
const threadOf = (thread: string, runs: [string, string] = ["r1", "r2"]): Step[] => [
  { thread, id: "01", values: { a: [1, `${thread} a1`], b: [1, `${thread} b1`] }, runId: runs[0], writes: [["a", `${thread} w01`]] },
  { thread, id: "02", parent: "01", values: { a: [2, `${thread} a2`], b: [1, `${thread} b1`, false] }, runId: runs[0], writes: [["b", `${thread} w02`]] },
  { thread, ns: "sub:1", id: "03", values: { s: [1, `${thread} s1`] }, runId: runs[1] },
  { thread, ns: "sub:1", id: "04", parent: "03", values: { s: [2, `${thread} s2`] }, runId: runs[1], writes: [["s", `${thread} w04`]] },
  { thread, id: "05", parent: "02", values: { a: [2, `${thread} a2`, false], b: [2, `${thread} b2`] }, runId: runs[1], writes: [["a", `${thread} w05`]] },
];

/** A tuple as text, without its thread id: a copy compares equal to its source. */
function shape(t: StoredSaverTuple | undefined) {
  if (!t) return undefined;
  const text = (v: SerializedValue) => `${v[0]}:${dec.decode(v[1])}`;
  return {
    ns: t.ns,
    id: t.checkpointId,
    parentId: t.parentId,
    checkpoint: text(t.checkpoint),
    metadata: text(t.metadata),
    values: Object.fromEntries(Object.entries(t.channelValues).map(([c, v]) => [c, text(v)])),
    versions: t.channelVersions,
    writes: t.pendingWrites.map((w) => [w.taskId, w.taskPath, w.idx, w.channel, text(w.value)]),
  };
}

const listed = async (saver: CheckpointSaver, threadId: string, ns?: string) => (await saver.list({ threadId, ns })).map(shape);

export function saverThreadsSpec(backend: Backend): void {
  describe(`saver thread operations on ${backend.name}`, () => {
    const { fresh } = storesFor(backend, "saver-threads");
    const rows = (name: string) => backend.countRows(name);

    describe("copyThread", () => {
      it("copies every checkpoint of every namespace with its ids, order, values, metadata and writes, and leaves the source as it was", async () => {
        const { stores } = await fresh();
        const { saver } = stores;
        await play(saver, threadOf("src"));
        const before = await listed(saver, "src");
        await saver.copyThread("src", "dst");
        expect(await listed(saver, "dst")).toEqual(before);
        expect(await listed(saver, "src")).toEqual(before);
        for (const ns of ["", "sub:1"]) expect(await listed(saver, "dst", ns)).toEqual(await listed(saver, "src", ns));
        expect(shape(await saver.getTuple({ threadId: "dst", ns: "" }))).toEqual(shape(await saver.getTuple({ threadId: "src", ns: "" })));
      });

      it("makes an independent copy: deleting either thread leaves the other whole, and deleting both frees every row", async () => {
        const { stores, name } = await fresh();
        const { saver } = stores;
        const empty = await rows(name);
        await play(saver, threadOf("src"));
        const expected = await listed(saver, "src");
        await saver.copyThread("src", "dst");
        await saver.deleteThread("src");
        expect(await listed(saver, "dst")).toEqual(expected);
        // The copy grows on its own.
        await play(saver, [{ thread: "dst", id: "06", parent: "05", values: { a: [3, "dst a3"] } }]);
        expect((await saver.getTuple({ threadId: "dst", ns: "" }))?.checkpointId).toBe("06");
        await saver.deleteThread("dst");
        expect(await rows(name)).toEqual(empty);
      });

      it("copies nothing from a thread that does not exist, and rejects a target that has checkpoints with CONFLICT, writing nothing", async () => {
        const { stores, name } = await fresh();
        const { saver } = stores;
        await saver.copyThread("nobody", "dst");
        expect(await saver.list({ threadId: "dst" })).toEqual([]);
        await play(saver, threadOf("src"));
        await play(saver, [{ thread: "taken", id: "09", values: { a: [1, "mine"] } }]);
        const before = await rows(name);
        await expectCode(saver.copyThread("src", "taken"), "CONFLICT");
        expect(await rows(name)).toEqual(before);
        expect((await saver.list({ threadId: "taken" })).map((t) => t.checkpointId)).toEqual(["09"]);
      });

      it("rejects a thread copied onto itself and ids that are not ids with INVALID_ARGUMENT", async () => {
        const { stores } = await fresh();
        await expectCode(stores.saver.copyThread("a", "a"), "INVALID_ARGUMENT");
        await expectCode(stores.saver.copyThread("", "b"), "INVALID_ARGUMENT");
        await expectCode(stores.saver.copyThread("a", 7 as never), "INVALID_ARGUMENT");
      });
    });

    describe("prune", () => {
      it("keep_latest keeps each namespace's newest checkpoint with its writes and every value it names, and frees the rest", async () => {
        const { stores, name } = await fresh();
        const { saver } = stores;
        await play(saver, [...threadOf("t"), ...threadOf("other")]);
        const latest = { root: shape(await saver.getTuple({ threadId: "t", ns: "" })), sub: shape(await saver.getTuple({ threadId: "t", ns: "sub:1" })) };
        const others = await listed(saver, "other");
        await saver.prune(["t"], { strategy: "keep_latest" });
        expect(await listed(saver, "t", "")).toEqual([latest.root]);
        expect(await listed(saver, "t", "sub:1")).toEqual([latest.sub]);
        // Carried values (b at version 1 was stored by checkpoint 01) are still there.
        expect(latest.root?.values).toEqual({ a: "json:" + big("t a2"), b: "json:" + big("t b2") });
        expect(await listed(saver, "other")).toEqual(others);

        // What is left takes the rows of a database that only ever held what survived.
        const { stores: reference, name: refName } = await fresh();
        await play(reference.saver, [...threadOf("other"), { ...threadOf("t")[4], parent: "02", values: { a: [2, "t a2"], b: [2, "t b2"] } }, { ...threadOf("t")[3], parent: "03" }]);
        expect(await rows(name)).toEqual(await rows(refName));
      });

      it("keep_latest on several threads keeps each one's newest; delete removes the threads and every row of theirs", async () => {
        const { stores, name } = await fresh();
        const { saver } = stores;
        const empty = await rows(name);
        await play(saver, [...threadOf("a"), ...threadOf("b")]);
        await saver.prune(["a", "b"]);
        for (const t of ["a", "b"]) expect((await saver.list({ threadId: t, ns: "" })).map((x) => x.checkpointId)).toEqual(["05"]);
        await saver.prune(["a", "b"], { strategy: "delete" });
        expect(await saver.list({})).toEqual([]);
        expect(await rows(name)).toEqual(empty);
      });

      it("does nothing for an empty list or threads that do not exist, and rejects a strategy it does not know", async () => {
        const { stores, name } = await fresh();
        await play(stores.saver, threadOf("t"));
        const before = await rows(name);
        await stores.saver.prune([]);
        await stores.saver.prune(["nobody"], { strategy: "keep_latest" });
        expect(await rows(name)).toEqual(before);
        await expectCode(stores.saver.prune(["t"], { strategy: "keep_oldest" as never }), "INVALID_ARGUMENT");
        await expectCode(stores.saver.prune("t" as never), "INVALID_ARGUMENT");
        expect(await rows(name)).toEqual(before);
      });
    });

    describe("deleteForRuns", () => {
      it("deletes the checkpoints and writes of the given runs in every thread and namespace, keeps the other runs and the values they still name", async () => {
        const { stores } = await fresh();
        const { saver } = stores;
        // Run ids in the metadata (as LangGraph's server writes them) and beside it (LangGraph.js).
        await play(saver, [...threadOf("t", ["r1", "r2"]), ...threadOf("u", ["cfg:r1", "cfg:r3"])]);
        await saver.deleteForRuns(["r1"]);
        for (const thread of ["t", "u"]) {
          expect((await saver.list({ threadId: thread })).map((x) => x.checkpointId)).toEqual(["05", "04", "03"]);
          expect(await saver.getTuple({ threadId: thread, ns: "", checkpointId: "01" })).toBeUndefined();
        }
        // Checkpoint 05 names b at version 2 and a at version 2, which 02 (deleted) had stored.
        const t5 = await saver.getTuple({ threadId: "t", ns: "", checkpointId: "05" });
        expect(shape(t5)?.values).toEqual({ a: "json:" + big("t a2"), b: "json:" + big("t b2") });
        await saver.deleteForRuns(["r2", "r3"]);
        expect(await saver.list({})).toEqual([]);
      });

      it("frees what the deleted checkpoints alone held: the rows match a database that never had them", async () => {
        const { stores, name } = await fresh();
        await play(stores.saver, [...threadOf("t", ["keep", "gone"]), ...threadOf("u", ["gone", "gone"])]);
        await stores.saver.deleteForRuns(["gone"]);
        const { stores: reference, name: refName } = await fresh();
        await play(reference.saver, threadOf("t", ["keep", "gone"]).slice(0, 2));
        expect(await rows(name)).toEqual(await rows(refName));
      });

      it("does nothing for an empty list or unknown runs, and rejects what is not a list of ids", async () => {
        const { stores, name } = await fresh();
        await play(stores.saver, threadOf("t"));
        const before = await rows(name);
        await stores.saver.deleteForRuns([]);
        await stores.saver.deleteForRuns(["nobody"]);
        expect(await rows(name)).toEqual(before);
        await expectCode(stores.saver.deleteForRuns([""]), "INVALID_ARGUMENT");
        await expectCode(stores.saver.deleteForRuns("r1" as never), "INVALID_ARGUMENT");
      });
    });

    describe("listThreads", () => {
      it("lists threads most recently updated first, with the last checkpoint and the root's newest metadata, up to a limit", async () => {
        const { stores } = await fresh();
        const { saver } = stores;
        await play(saver, [
          { thread: "a", id: "01" },
          { thread: "b", id: "02" },
          { thread: "a", id: "03", parent: "01" },
          { thread: "c", id: "04" },
          { thread: "b", ns: "sub:1", id: "05" },
        ]);
        const all = await saver.listThreads();
        expect(all.map((t) => [t.threadId, t.lastCheckpointId, t.lastNs, t.rootCheckpointId, dec.decode(t.metadata[1])])).toEqual([
          ["b", "05", "sub:1", "02", `{"step":"02"}`],
          ["c", "04", "", "04", `{"step":"04"}`],
          ["a", "03", "", "03", `{"step":"03"}`],
        ]);
        expect(dec.decode(all[0].lastCheckpoint[1])).toBe(big("cp-b-05"));
        expect((await saver.listThreads({ limit: 2 })).map((t) => t.threadId)).toEqual(["b", "c"]);
        await saver.deleteThread("c");
        expect((await saver.listThreads()).map((t) => t.threadId)).toEqual(["b", "a"]);
        await expectCode(saver.listThreads({ limit: -1 }), "INVALID_ARGUMENT");
        await expectCode(saver.listThreads({ newest: true } as never), "INVALID_ARGUMENT");
      });

      it("lists each thread once by its newest checkpoint however many it has, a copy beside its source (greater thread id first on equal ids)", async () => {
        const { stores } = await fresh();
        const { saver } = stores;
        await play(saver, [
          ...Array.from({ length: 30 }, (_, i) => ({ thread: "long", id: `1${String(i).padStart(3, "0")}` })),
          { thread: "m", id: "0500" },
          { thread: "m", ns: "sub:1", id: "0600" },
        ]);
        await saver.copyThread("m", "copy");
        await saver.copyThread("m", "a-copy");
        const listed = await saver.listThreads();
        expect(listed.map((t) => [t.threadId, t.lastCheckpointId, t.lastNs, t.rootCheckpointId])).toEqual([
          ["long", "1029", "", "1029"],
          ["m", "0600", "sub:1", "0500"],
          ["copy", "0600", "sub:1", "0500"],
          ["a-copy", "0600", "sub:1", "0500"],
        ]);
        expect((await saver.listThreads({ limit: 1 })).map((t) => t.threadId)).toEqual(["long"]);
        expect(await saver.listThreads({ limit: 0 })).toEqual([]);
      });
    });

    describe("batch", () => {
      it("applies puts and writes in order in one call: a repeated regular slot keeps the first, a special slot the last", async () => {
        const { stores } = await fresh();
        const { saver } = stores;
        const base = { threadId: "t", ns: "", checkpointId: "01", taskId: "task", taskPath: "p" };
        await saver.batch([
          { putWrites: { ...base, writes: [{ idx: 0, channel: "v", value: sv("first") }, { idx: -3, channel: "__interrupt__", value: sv("i1") }] } },
          { put: putOf({ thread: "t", id: "01", values: { a: [1, "a1"] } }) },
          { putWrites: { ...base, writes: [{ idx: 0, channel: "v", value: sv("second") }, { idx: -3, channel: "__interrupt__", value: sv("i2") }] } },
        ]);
        const t = await saver.getTuple({ threadId: "t", ns: "" });
        expect(t?.pendingWrites.map((w) => [w.idx, dec.decode(w.value[1])])).toEqual([
          [-3, "i2"],
          [0, "first"],
        ]);
        expect(Object.keys(t?.channelValues ?? {})).toEqual(["a"]);
      });

      it("rejects a batch with one bad operation with INVALID_ARGUMENT and writes none of it", async () => {
        const { stores, name } = await fresh();
        const before = await rows(name);
        await expectCode(stores.saver.batch([{ put: putOf({ thread: "t", id: "01" }) }, { put: { ...putOf({ thread: "t", id: "02" }), threadId: "" } }]), "INVALID_ARGUMENT");
        await expectCode(stores.saver.batch([{ put: putOf({ thread: "t", id: "01" }) }, { delete: "t" } as never]), "INVALID_ARGUMENT");
        await expectCode(stores.saver.batch("nope" as never), "INVALID_ARGUMENT");
        expect(await rows(name)).toEqual(before);
      });
    });
  });
}
