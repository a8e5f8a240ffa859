import { describe, expect, it } from "vitest";
import { GroupCommit } from "../../worker/group-commit";

const tick = () => new Promise((r) => setImmediate(r));

/** A commit function that records each group and finishes it when told to. */
function recorder() {
  const groups: string[][] = [];
  const pending: Array<{ group: string[]; commit(): void; fail(e: Error): void }> = [];
  const commit = (group: string[]) =>
    new Promise<void>((resolve, reject) => {
      groups.push(group);
      pending.push({ group, commit: resolve, fail: reject });
    });
  return { groups, pending, commit };
}

describe("GroupCommit: the engine's group commit of saver writes", () => {
  it("commits the calls that arrive while a transaction is under way together in the next one, in arrival order, each resolving when its own group commits", async () => {
    const r = recorder();
    const g = new GroupCommit<string>(r.commit);
    const done: string[] = [];
    const first = g.submit(Promise.resolve("1")).then(() => done.push("1"));
    await tick();
    const rest = ["2", "3", "4"].map((id) => g.submit(Promise.resolve(id)).then(() => done.push(id)));
    await tick();
    expect(r.groups).toEqual([["1"]]);
    r.pending[0].commit();
    await first;
    await tick();
    expect(r.groups).toEqual([["1"], ["2", "3", "4"]]);
    expect(done).toEqual(["1"]);
    r.pending[1].commit();
    await Promise.all(rest);
    expect(done).toEqual(["1", "2", "3", "4"]);
  });

  it("keeps arrival order when an earlier call takes longer to prepare", async () => {
    const r = recorder();
    const g = new GroupCommit<string>(r.commit);
    let prepare!: (v: string) => void;
    const slow = g.submit(new Promise<string>((res) => (prepare = res)));
    const fast = g.submit(Promise.resolve("fast"));
    await tick();
    expect(r.groups).toEqual([]);
    prepare("slow");
    await tick();
    expect(r.groups).toEqual([["slow", "fast"]]);
    r.pending[0].commit();
    await Promise.all([slow, fast]);
  });

  it("runs each call of a failed group again alone, so one bad call fails alone", async () => {
    const r = recorder();
    const g = new GroupCommit<string>(r.commit);
    const blocker = g.submit(Promise.resolve("0"));
    await tick();
    const results = ["good", "bad", "also-good"].map((id) => g.submit(Promise.resolve(id)).then(() => "ok", (e: Error) => e.message));
    r.pending[0].commit();
    await blocker;
    await tick();
    r.pending[1].fail(new Error("group failed"));
    for (let i = 2; i < 5; i++) {
      while (r.pending.length <= i) await tick();
      if (r.pending[i].group[0] === "bad") r.pending[i].fail(new Error("bad write"));
      else r.pending[i].commit();
    }
    expect(await Promise.all(results)).toEqual(["ok", "bad write", "ok"]);
    expect(r.groups.slice(2)).toEqual([["good"], ["bad"], ["also-good"]]);
  });

  it("rejects a call whose preparation fails with its own error and commits the others of its group", async () => {
    const r = recorder();
    const g = new GroupCommit<string>(r.commit);
    const bad = g.submit(Promise.reject(new Error("invalid request"))).then(() => "ok", (e: Error) => e.message);
    const good = g.submit(Promise.resolve("good"));
    await tick();
    expect(r.groups).toEqual([["good"]]);
    r.pending[0].commit();
    expect(await bad).toBe("invalid request");
    await expect(good).resolves.toBeUndefined();
  });

  it("idle() settles only once every call submitted before it has settled", async () => {
    const r = recorder();
    const g = new GroupCommit<string>(r.commit);
    void g.submit(Promise.resolve("1"));
    let idle = false;
    void g.idle().then(() => (idle = true));
    await tick();
    expect(idle).toBe(false);
    void g.submit(Promise.resolve("2"));
    r.pending[0].commit();
    await tick();
    expect(idle).toBe(false);
    r.pending[1].commit();
    await tick();
    expect(idle).toBe(true);
  });
});
