import fc from "fast-check";
import { RUN_STATUSES } from "../../src/types";
import type { StoreKey } from "../../src/methods";

/**
 * Random store calls for the differential fuzz test: mostly plausible arguments from small pools
 * (so calls meet each other's data), each argument swapped for a hostile value now and then:
 * empty and 1 MiB strings, lone surrogates, prototype keys, NaN, objects, dates, negative and
 * huge numbers, symbols and functions. A `{ $cp: k }` argument stands for the k-th checkpoint id
 * a thread save returned (the runner resolves it for each implementation).
 */
export interface Call {
  store: Exclude<StoreKey, "memory">;
  method: string;
  args: unknown[];
}

export interface CheckpointRef {
  $cp: number;
}

const ONE_MIB = "x".repeat(1 << 20);

/** Values no argument of any store method accepts where a specific type is expected. */
export function hostileValues(): unknown[] {
  return [
    "",
    ONE_MIB,
    "\uD800",
    "a\uDC00b",
    NaN,
    -1,
    1.5,
    2 ** 53,
    -(2 ** 60),
    Infinity,
    null,
    undefined,
    {},
    [],
    ["a"],
    new Date(0),
    true,
    12n,
    Symbol("s"),
    () => 1,
    JSON.parse('{"__proto__":{"polluted":"yes"}}'),
    { constructor: { prototype: { polluted: "yes" } } },
  ];
}

const hostile = fc.constantFrom(...hostileValues());
/** Mostly `arb`, sometimes a hostile value. */
const maybe = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<unknown> => fc.oneof({ arbitrary: arb, weight: 8 }, { arbitrary: hostile, weight: 1 });

// Pools: valid ids, including the names that break naive objects.
const threadId = fc.constantFrom("a", "b", "__proto__", "constructor", "t\u00e9");
const runId = fc.constantFrom("r1", "r2", "__proto__");
const nodeId = fc.constantFrom("n1", "n2", "prototype");
const smallInt = fc.integer({ min: 0, max: 6 });
const bytes = fc.oneof({ arbitrary: fc.uint8Array({ maxLength: 48 }), weight: 9 }, { arbitrary: fc.uint8Array({ minLength: 3000, maxLength: 6000 }), weight: 1 });
const key = fc.constantFrom("k", "step", "__proto__", "constructor", "prototype", "x.y", "");
const leaf = fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.date(), fc.bigInt(), fc.constant("\uD800"));
const plainData: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: "small", withCrossShrink: true }, leaf, fc.array(tie("value"), { maxLength: 3 }), tie("object")),
  object: fc.dictionary(key, tie("value"), { maxKeys: 3, noNullPrototype: true }),
})).value;
const metadata = fc.oneof(fc.dictionary(key, plainData, { maxKeys: 3, noNullPrototype: true }), fc.constant({}));
const stringRecord = fc.dictionary(key, fc.string({ maxLength: 6 }), { maxKeys: 3, noNullPrototype: true });
const cpRef = fc.oneof(fc.nat(40).map((k): CheckpointRef => ({ $cp: k })), fc.constant("no-such-checkpoint"));

const threadCalls: fc.Arbitrary<Call>[] = [
  fc.tuple(maybe(threadId), maybe(metadata), maybe(bytes)).map((args) => ({ store: "threads", method: "save", args })),
  fc.tuple(maybe(threadId), maybe(cpRef)).map((args) => ({ store: "threads", method: "load", args })),
  fc.tuple(maybe(threadId), maybe(cpRef)).map((args) => ({ store: "threads", method: "delete", args })),
  ...["loadLatest", "list", "count", "deleteThread"].map((method) => fc.tuple(maybe(threadId)).map((args): Call => ({ store: "threads", method, args }))),
  fc.constant<Call>({ store: "threads", method: "listThreads", args: [] }),
];

const event = fc.record({ runId: maybe(runId), kind: maybe(fc.constantFrom("start", "end")), nodeId: fc.option(nodeId, { nil: undefined }), data: fc.option(plainData, { nil: undefined }) }, { requiredKeys: ["runId", "kind"] });
const runCalls: fc.Arbitrary<Call>[] = [
  fc.tuple(maybe(runId), maybe(fc.constant("wf")), maybe(metadata)).map((args) => ({ store: "runs", method: "createRun", args })),
  fc.tuple(maybe(runId)).map((args) => ({ store: "runs", method: "getRun", args })),
  fc.tuple(maybe(runId), maybe(fc.constantFrom(...RUN_STATUSES, "bogus"))).map((args) => ({ store: "runs", method: "updateRunStatus", args })),
  fc.tuple(maybe(runId), maybe(nodeId), maybe(bytes), maybe(fc.option(stringRecord, { nil: undefined }))).map((args) => ({ store: "runs", method: "saveCheckpoint", args })),
  fc.tuple(maybe(runId), maybe(nodeId)).map((args) => ({ store: "runs", method: "loadCheckpoint", args })),
  fc.tuple(maybe(runId), maybe(nodeId), maybe(smallInt)).map((args) => ({ store: "runs", method: "loadCheckpointAt", args })),
  fc.tuple(maybe(runId)).map((args) => ({ store: "runs", method: "listCheckpoints", args })),
  fc.tuple(maybe(runId), maybe(nodeId)).map((args) => ({ store: "runs", method: "listNodeCheckpoints", args })),
  fc.tuple(maybe(event)).map((args) => ({ store: "runs", method: "appendEvent", args })),
  fc.tuple(maybe(runId), maybe(fc.option(smallInt, { nil: undefined })), maybe(fc.integer({ min: 0, max: 10 }))).map((args) => ({ store: "runs", method: "getEvents", args })),
  fc.tuple(maybe(runId)).map((args) => ({ store: "runs", method: "deleteRun", args })),
];

const ns = fc.constantFrom("", "sub");
const cpId = fc.integer({ min: 0, max: 30 }).map((n) => `c${String(n).padStart(3, "0")}`);
const version = fc.oneof(fc.integer({ min: 1, max: 4 }), fc.constantFrom("1", "v2"));
const serialized = fc.tuple(fc.constantFrom("json", "bytes"), fc.uint8Array({ maxLength: 24 }));
const saverPut = fc.record({
  threadId: maybe(threadId),
  ns: maybe(ns),
  checkpointId: maybe(cpId),
  parentId: fc.option(cpId, { nil: undefined }),
  v: fc.constant(4),
  checkpoint: maybe(serialized),
  metadata: serialized,
  metadataIndex: maybe(fc.dictionary(fc.constantFrom("step", "source"), fc.constantFrom("1", "2", '"loop"'), { maxKeys: 2, noNullPrototype: true })),
  channelVersions: fc.dictionary(fc.constantFrom("a", "b"), version, { maxKeys: 2, noNullPrototype: true }),
  blobs: fc.array(fc.record({ channel: fc.constantFrom("a", "b"), version, value: fc.option(serialized, { nil: null }) }), { maxLength: 2 }),
}, { requiredKeys: ["threadId", "ns", "checkpointId", "v", "checkpoint", "metadata", "metadataIndex", "channelVersions", "blobs"] });
const saverWrites = fc.record({
  threadId: maybe(threadId),
  ns,
  checkpointId: cpId,
  taskId: fc.constantFrom("t1", "t2"),
  taskPath: fc.constantFrom("", "p"),
  writes: fc.array(fc.record({ idx: maybe(fc.integer({ min: -2, max: 2 })), channel: fc.constantFrom("a", "__error__"), value: serialized }), { maxLength: 3 }),
});
const saverCalls: fc.Arbitrary<Call>[] = [
  maybe(saverPut).map((r) => ({ store: "saver", method: "put", args: [r] })),
  maybe(saverWrites).map((r) => ({ store: "saver", method: "putWrites", args: [r] })),
  fc.record({ threadId: maybe(threadId), ns: maybe(ns), checkpointId: fc.option(cpId, { nil: undefined }) }, { requiredKeys: ["threadId", "ns"] }).map((r) => ({ store: "saver", method: "getTuple", args: [r] })),
  fc.record({
    threadId: fc.option(threadId, { nil: undefined }),
    ns: fc.option(ns, { nil: undefined }),
    checkpointId: fc.option(cpId, { nil: undefined }),
    before: fc.option(cpId, { nil: undefined }),
    limit: fc.option(maybe(fc.integer({ min: 0, max: 5 })), { nil: undefined }),
    filter: fc.option(fc.dictionary(fc.constantFrom("step", "source"), fc.constantFrom("1", "2"), { maxKeys: 1, noNullPrototype: true }), { nil: undefined }),
  }, { requiredKeys: [] }).map((r) => ({ store: "saver", method: "list", args: [r] })),
  fc.tuple(maybe(threadId)).map((args) => ({ store: "saver", method: "deleteThread", args })),
];

const traceId = fc.constantFrom("tr1", "tr2", "__proto__");
const blobCalls: fc.Arbitrary<Call>[] = [
  fc.tuple(maybe(cpId), maybe(traceId), maybe(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n })), maybe(bytes)).map((args) => ({ store: "blobs", method: "save", args })),
  fc.tuple(maybe(cpId)).map((args) => ({ store: "blobs", method: "load", args })),
  fc.tuple(maybe(traceId)).map((args) => ({ store: "blobs", method: "loadLatest", args })),
  fc.tuple(maybe(traceId)).map((args) => ({ store: "blobs", method: "list", args })),
  fc.tuple(maybe(cpId)).map((args) => ({ store: "blobs", method: "delete", args })),
];

const eventCalls: fc.Arbitrary<Call>[] = [
  fc.tuple(maybe(threadId), maybe(smallInt), maybe(metadata)).map((args) => ({ store: "events", method: "append", args })),
  fc.tuple(maybe(threadId), maybe(smallInt)).map((args) => ({ store: "events", method: "finishTurn", args })),
  fc.tuple(maybe(threadId), maybe(smallInt)).map((args) => ({ store: "events", method: "getTurn", args })),
  ...["getTurns", "getEvents", "clear"].map((method) => fc.tuple(maybe(threadId)).map((args): Call => ({ store: "events", method, args }))),
];

// The memory store has its own differential test against LangGraph's InMemoryStore (test/memory/).
const BY_STORE: Record<Exclude<StoreKey, "memory">, fc.Arbitrary<Call>[]> = { threads: threadCalls, runs: runCalls, saver: saverCalls, blobs: blobCalls, events: eventCalls };

/** A call to any of `stores`, each store equally likely. */
export function callArbitrary(stores: readonly Exclude<StoreKey, "memory">[]): fc.Arbitrary<Call> {
  return fc.oneof(...stores.map((s) => fc.oneof(...BY_STORE[s])));
}
