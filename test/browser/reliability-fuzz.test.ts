import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { openStore, isStoreError, ERROR_CODES, type Store } from "../../src/index";
import type { StoreKey } from "../../src/methods";
import { uniqueName } from "../conformance/backend";
import { createModel } from "../model";
import { printFigures } from "../reliability/figures";
import { callArbitrary, type Call, type CheckpointRef } from "../reliability/fuzz-calls";
import { normalize } from "../reliability/fuzz-normalize";
import type { PollutionProbe } from "../reliability/crashable-worker";

/**
 * Differential fuzzing through the real worker: random calls across the five stores with hostile
 * ids and options. Every call must either answer what the in-memory model of the contracts
 * (test/model/) answers, or reject with a StoreError of the same code; no other error type may
 * escape, and nothing may pollute Object.prototype, in the page or in the worker.
 * `npm test` makes 10,000 calls; `npm run test:stress` 50,000.
 */

const CALLS = import.meta.env.VITE_RELIABILITY_STRESS ? 50_000 : 10_000;
const PER_RUN = 100;
const STORES = ((import.meta.env.VITE_FUZZ_STORES as string | undefined) ?? "threads,runs,saver,blobs,events").split(",") as Exclude<StoreKey, "memory">[];

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

async function outcome(run: () => unknown): Promise<Outcome> {
  try {
    return { ok: true, value: await run() };
  } catch (error) {
    return { ok: false, error };
  }
}

const codeOf = (e: unknown) => (isStoreError(e) && ERROR_CODES.includes(e.code) ? e.code : undefined);

function probeWorker(worker: Worker): Promise<PollutionProbe> {
  return new Promise((resolve) => {
    const listen = (event: MessageEvent) => {
      const result = (event.data as { probeResult?: PollutionProbe } | null)?.probeResult;
      if (!result) return;
      worker.removeEventListener("message", listen);
      resolve(result);
    };
    worker.addEventListener("message", listen);
    worker.postMessage({ probe: "pollution" });
  });
}

const describeCall = (c: Call) => `${c.store}.${c.method}(${c.args.map((a) => (typeof a === "string" && a.length > 40 ? `<${a.length} chars>` : String(typeof a === "symbol" ? "Symbol" : typeof a === "bigint" ? `${a}n` : JSON.stringify(a) ?? a))).join(", ")})`;

describe("fuzzed calls across the five stores", () => {
  it(`answers ${CALLS} random calls like the in-memory model or with a typed StoreError, with no prototype pollution`, async () => {
    const prototypeKeys = Object.getOwnPropertyNames(Object.prototype).sort();
    const worker = new Worker(new URL("../reliability/crashable-worker.ts", import.meta.url), { type: "module" });
    const lib: Store = await openStore({ name: uniqueName("rel-fuzz"), worker, eventFlushMs: 5 });
    const model = createModel();
    // Thread checkpoint ids are made by each implementation; calls name them by save order.
    const libIds: string[] = [];
    const modelIds: string[] = [];
    const libToModel = new Map<string, string>();
    const figures = { calls: 0, succeeded: 0, rejected: 0, escaped: 0, divergences: 0 };
    const byCode: Record<string, number> = {};
    const problems: string[] = [];

    const resolve = (args: unknown[], ids: string[]) =>
      args.map((a) => (a && typeof a === "object" && "$cp" in a ? (ids.length ? ids[(a as CheckpointRef).$cp % ids.length] : "no-such-checkpoint") : a));

    const step = async (call: Call) => {
      figures.calls++;
      const target = (stores: Store | ReturnType<typeof createModel>) => stores[call.store] as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
      const got = await outcome(() => target(lib)[call.method](...resolve(call.args, libIds)));
      const want = await outcome(() => target(model)[call.method](...resolve(call.args, modelIds)));
      if (!want.ok && !codeOf(want.error)) throw new Error(`the model failed on ${describeCall(call)}: ${String(want.error)}`);
      if (!got.ok) {
        const code = codeOf(got.error);
        if (!code) {
          figures.escaped++;
          problems.push(`escaped ${String((got.error as Error)?.name)}: ${String(got.error)} from ${describeCall(call)}`);
          return;
        }
        figures.rejected++;
        byCode[code] = (byCode[code] ?? 0) + 1;
      } else figures.succeeded++;
      if (got.ok && want.ok && call.store === "threads" && call.method === "save") {
        libIds.push(got.value as string);
        modelIds.push(want.value as string);
        libToModel.set(got.value as string, want.value as string);
      }
      const a = got.ok ? JSON.stringify(normalize(got.value, libToModel)) : `rejects ${codeOf(got.error)}`;
      const b = want.ok ? JSON.stringify(normalize(want.value)) : `rejects ${codeOf(want.error)}`;
      if (a !== b) {
        figures.divergences++;
        problems.push(`${describeCall(call)}\n  library: ${a.slice(0, 300)}\n  model:   ${b.slice(0, 300)}`);
      }
    };

    try {
      await fc.assert(
        fc.asyncProperty(fc.array(callArbitrary(STORES), { minLength: PER_RUN, maxLength: PER_RUN }), async (calls) => {
          for (const call of calls) await step(call);
          // The first problems tell the story; stop generating once there are some.
          return problems.length === 0;
        }),
        { numRuns: CALLS / PER_RUN, endOnFailure: true, verbose: 0 },
      ).catch((e: unknown) => {
        if (problems.length === 0) throw e;
      });
      const workerProbe = await probeWorker(worker);
      const pagePolluted = ({} as Record<string, unknown>).polluted;
      printFigures("fuzz", { ...figures, ...byCode, pagePolluted: String(pagePolluted), workerPolluted: String(workerProbe.polluted) });
      expect(problems.slice(0, 5)).toEqual([]);
      expect(figures.calls).toBeGreaterThanOrEqual(CALLS);
      expect(pagePolluted).toBeUndefined();
      expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeKeys);
      expect(workerProbe.polluted).toBeUndefined();
      expect(workerProbe.prototypeKeys).toEqual(prototypeKeys);
    } finally {
      await lib.close();
    }
  }, 600_000);
});
