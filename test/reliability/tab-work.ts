import type { Store } from "../../src/index";

/**
 * What each tab does in the two-tab tests, as page code: started with a call that returns at
 * once and collected later (`start`, then `result`), because WebDriver classic drives one
 * window at a time and a call that waits for one tab's work would leave the other idle.
 */

interface Outcome {
  ok: boolean;
  value?: unknown;
  code?: string;
  message?: string;
}
type Try = (p: Promise<unknown>) => Promise<Outcome>;

/** `lanes` concurrent loops share items 0..n-1; each item's outcome is kept as value or error. */
async function lanesOf(n: number, lanes: number, attempt: Try, call: (i: number) => Promise<unknown>): Promise<{ values: unknown[]; errors: string[] }> {
  const values: unknown[] = [];
  const errors: string[] = [];
  await Promise.all(
    Array.from({ length: lanes }, async (_, lane) => {
      for (let i = lane; i < n; i += lanes) {
        const o = await attempt(call(i));
        if (o.ok) values.push(o.value);
        else errors.push(`${o.code}: ${o.message}`);
      }
    }),
  );
  return { values, errors };
}

export function tabWork(store: (name: string) => Store, attempt: Try, bytes: (size: number, seed: number) => Uint8Array) {
  const results = new Map<string, unknown>();
  const work = {
    /** Appends `perTab` events to run "shared", tagged with this tab's number `t`. */
    async append({ t, perTab, lanes }: { t: number; perTab: number; lanes: number }) {
      const s = store("tabs");
      const { values, errors } = await lanesOf(perTab, lanes, attempt, (i) => s.runs.appendEvent({ runId: "shared", kind: "tick", data: { t, i } }));
      return { seqs: values as number[], errors };
    },
    /** Saves `n` checkpoints of thread "shared". */
    async save({ t, n, lanes }: { t: number; n: number; lanes: number }) {
      const s = store("tabs");
      const { values, errors } = await lanesOf(n, lanes, attempt, (i) => s.threads.save("shared", { t, i }, bytes(256, t * 100_000 + i)));
      return { ids: values as string[], errors };
    },
    /** Every event of run "shared", in order. */
    async events() {
      const s = store("tabs");
      const all: Array<{ seq: number; data?: unknown }> = [];
      for (let since = 0; ; ) {
        const page = await s.runs.getEvents("shared", since, 1000);
        if (page.length === 0) break;
        all.push(...page.map((e) => ({ seq: e.seq, data: e.data })));
        since = page[page.length - 1].seq;
      }
      return all;
    },
    /** This tab's view of thread "shared". */
    async thread() {
      const s = store("tabs");
      const list = (await s.threads.list("shared")).map((m) => m.checkpointId);
      const latest = await s.threads.loadLatest("shared");
      return { list, latest: latest.meta.checkpointId, count: await s.threads.count("shared") };
    },
  };
  type Work = typeof work;
  return {
    ...work,
    /** Starts `what` under `key` and returns at once; `result(key)` has its outcome when done. */
    start<K extends keyof Work>(key: string, what: K, arg: Parameters<Work[K]>[0]): void {
      results.delete(key);
      (work[what] as (a: unknown) => Promise<unknown>)(arg).then(
        (value) => results.set(key, { done: true, value }),
        (e) => results.set(key, { done: true, error: String(e) }),
      );
    },
    /** `{ done: false }` while the work runs, then its value or error. */
    result(key: string): { done: boolean; value?: unknown; error?: string } {
      return (results.get(key) as { done: boolean }) ?? { done: false };
    },
  };
}
