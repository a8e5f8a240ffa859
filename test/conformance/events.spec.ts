import { describe, expect, it } from "vitest";
import type { EventStore, Stores } from "../../src/types";
import type { Backend } from "./backend";
import { storesFor } from "./stores-for";
import { expectCode } from "./expect-code";

export function eventsSpec(backend: Backend): void {
  describe(`events (seed 004) on ${backend.name}`, () => {
    const opened = storesFor(backend, "events");
    async function fresh(name?: string): Promise<{ events: EventStore; name: string; stores: Stores }> {
      const o = await opened.fresh(name);
      return { events: o.stores.events, ...o };
    }
    async function reopen(first: { name: string; stores: Stores }) {
      await opened.closeNow(first.stores);
      return fresh(first.name);
    }

    it("reads appended events at once, in order, before and after finishTurn", async () => {
      const { events } = await fresh();
      await events.append("t", 0, { type: "token", text: "Hel" });
      await events.append("t", 0, { type: "token", text: "lo", extra: { n: [1, 2] } });
      expect(await events.getTurn("t", 0)).toEqual({
        threadId: "t",
        turn: 0,
        events: [{ type: "token", text: "Hel" }, { type: "token", text: "lo", extra: { n: [1, 2] } }],
        finished: false,
      });
      await events.finishTurn("t", 0);
      const turn = await events.getTurn("t", 0);
      expect(turn?.finished).toBe(true);
      expect(turn?.events.map((e) => e.text)).toEqual(["Hel", "lo"]);
      expect(await events.getTurn("t", 1)).toBeUndefined();
    });

    it("stores each event as appended: changing an event read back before the turn is written changes nothing stored", async () => {
      const { events } = await fresh();
      const appended = { type: "tool", args: { path: ["a"] } };
      await events.append("t", 0, appended);
      appended.args.path.push("changed after append");
      const read = (await events.getTurn("t", 0))!.events[0] as { args: { path: string[] }; extra?: number };
      read.args.path.push("changed after getTurn");
      const [viaGetEvents] = (await events.getEvents("t")) as Array<{ extra?: number }>;
      viaGetEvents.extra = 1;
      (await events.getTurns("t"))[0].events.length = 0;
      await events.finishTurn("t", 0);
      expect((await events.getTurn("t", 0))!.events).toEqual([{ type: "tool", args: { path: ["a"] } }]);
    });

    it("finishing a turn that has no events stores it empty and finished, so later appends to it reject", async () => {
      const { events } = await fresh();
      expect(await events.getTurn("t", 7)).toBeUndefined();
      await events.finishTurn("t", 7);
      expect(await events.getTurn("t", 7)).toEqual({ threadId: "t", turn: 7, events: [], finished: true });
      expect(await events.getTurns("t")).toEqual([{ threadId: "t", turn: 7, events: [], finished: true }]);
      await expectCode(events.append("t", 7, { late: true }), "TURN_FINISHED");
      await events.finishTurn("t", 7);
      expect(await events.getEvents("t")).toEqual([]);
    });

    it("rejects appends to a finished turn with TURN_FINISHED", async () => {
      const { events } = await fresh();
      await events.append("t", 3, { n: 1 });
      await events.finishTurn("t", 3);
      await expectCode(events.append("t", 3, { n: 2 }), "TURN_FINISHED");
      expect((await events.getTurn("t", 3))?.events).toEqual([{ n: 1 }]);
      // Finishing it again resolves and changes nothing (a retried barrier); other turns stay open.
      await events.finishTurn("t", 3);
      expect(await events.getTurn("t", 3)).toEqual({ threadId: "t", turn: 3, events: [{ n: 1 }], finished: true });
      await events.append("t", 4, { n: 3 });
    });

    it("lists turns in ascending numeric order and events across them", async () => {
      const { events } = await fresh();
      for (const turn of [10, 2, 1]) {
        await events.append("t", turn, { turn });
        if (turn !== 1) await events.finishTurn("t", turn);
      }
      await events.append("other", 0, { x: 1 });
      const turns = await events.getTurns("t");
      expect(turns.map((t) => [t.turn, t.finished])).toEqual([[1, false], [2, true], [10, true]]);
      expect((await events.getEvents("t")).map((e) => e.turn)).toEqual([1, 2, 10]);
      expect(await events.getTurns("nobody")).toEqual([]);
    });

    it("finishTurn makes the turn durable: a reopened store sees every event", async () => {
      const first = await fresh();
      for (let i = 0; i < 120; i++) await first.events.append("t", 0, { i });
      await first.events.finishTurn("t", 0);
      const { events } = await reopen(first);
      const turn = await events.getTurn("t", 0);
      expect(turn?.finished).toBe(true);
      expect(turn?.events.map((e) => e.i)).toEqual(Array.from({ length: 120 }, (_, i) => i));
      await expectCode(events.append("t", 0, { late: true }), "TURN_FINISHED");
    });

    it("writes buffered events within the flush delay, without finishTurn", async () => {
      const first = await fresh();
      await first.events.append("t", 0, { a: 1 });
      const other = await fresh(first.name);
      let seen: unknown[] = [];
      for (let i = 0; i < 100 && seen.length === 0; i++) {
        await new Promise((r) => setTimeout(r, 20));
        seen = (await other.events.getTurn("t", 0))?.events ?? [];
      }
      expect(seen).toEqual([{ a: 1 }]);
    });

    it("close flushes what is buffered", async () => {
      const first = await fresh();
      await first.events.append("t", 2, { kept: true });
      const { events } = await reopen(first);
      expect(await events.getTurn("t", 2)).toEqual({ threadId: "t", turn: 2, events: [{ kept: true }], finished: false });
    });

    it("a turn finished by another store on the same database rejects later appends", async () => {
      const a = await fresh();
      const b = await fresh(a.name);
      await a.events.append("t", 0, { from: "a" });
      await a.events.finishTurn("t", 0);
      await expectCode(b.events.append("t", 0, { from: "b" }), "TURN_FINISHED");
      expect((await b.events.getTurn("t", 0))?.events).toEqual([{ from: "a" }]);
    });

    it("clear removes the thread's events, buffered and stored, and leaves no rows", async () => {
      const { events, name } = await fresh();
      const before = await backend.countRows(name);
      await events.append("t", 0, { a: 1 });
      await events.finishTurn("t", 0);
      await events.append("t", 1, { b: 1 });
      await events.append("keep", 0, { c: 1 });
      await events.finishTurn("keep", 0);
      await events.clear("t");
      expect(await events.getTurns("t")).toEqual([]);
      expect(await events.getEvents("keep")).toEqual([{ c: 1 }]);
      await events.clear("keep");
      expect(await backend.countRows(name)).toEqual(before);
      // A cleared turn can be written again.
      await events.append("t", 0, { again: true });
      expect((await events.getTurn("t", 0))?.finished).toBe(false);
    });

    it("clear by another store on the same database removes the events this one buffers for the thread, and only those", async () => {
      const a = await fresh();
      const b = await fresh(a.name);
      // Resolved appends, still buffered in a (its flush delay has not passed).
      await Promise.all([a.stores.events.append("t", 0, { n: 0 }), a.stores.events.append("t", 3, { n: 3 }), a.stores.events.append("other", 0, { keep: true })]);
      await b.stores.events.clear("t");
      // Whatever a writes later, none of what it appended before the clear comes back.
      await a.stores.flush();
      expect(await b.stores.events.getTurns("t")).toEqual([]);
      expect(await a.stores.events.getTurns("t")).toEqual([]);
      expect(await b.stores.events.getEvents("other")).toEqual([{ keep: true }]);
      // Appends after the clear are kept, also to a turn that was cleared.
      await a.stores.events.append("t", 0, { after: true });
      await a.stores.events.finishTurn("t", 0);
      expect(await b.stores.events.getTurn("t", 0)).toEqual({ threadId: "t", turn: 0, events: [{ after: true }], finished: true });
    });

    it("rejects bad arguments with INVALID_ARGUMENT and writes nothing", async () => {
      const { events, name, stores } = await fresh();
      await events.append("t", 0, { ok: 1 });
      await events.finishTurn("t", 0);
      const before = await backend.countRows(name);
      const bad: Array<() => Promise<unknown>> = [
        () => events.append("", 0, {}),
        () => events.append("t", -1, {}),
        () => events.append("t", 1.5, {}),
        () => events.append("t", Number.NaN, {}),
        () => events.append("t", "1" as never, {}),
        () => events.append("t", 1, null as never),
        () => events.append("t", 1, [1, 2] as never),
        () => events.append("t", 1, JSON.parse('{"__proto__": {"polluted": 1}}')),
        () => events.append("t", 1, { f: (() => 1) as unknown }),
        () => events.finishTurn("t", -2),
        () => events.getTurn("", 0),
        () => events.getTurns(1 as never),
        () => events.getEvents(""),
        () => events.clear(""),
      ];
      for (const call of bad) await expectCode(call(), "INVALID_ARGUMENT");
      await opened.closeNow(stores);
      expect(await backend.countRows(name)).toEqual(before);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });
  });
}
