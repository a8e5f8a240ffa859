import { StoreError } from "../../src/errors";
import { assertCount, assertId, assertPlainObject } from "../../src/validate";
import type { AgentEventEnvelope, EventStore, StoredTurnEvents } from "../../src/types";
import { clone } from "./clone";

/** Seed 004 as maps: appends go to open turns, finishTurn closes one for good (again: a no-op). */
export class MemoryEvents implements EventStore {
  private readonly threads = new Map<string, Map<number, StoredTurnEvents>>();

  private turnOf(threadId: string, turn: number): StoredTurnEvents {
    const turns = this.threads.get(threadId) ?? new Map<number, StoredTurnEvents>();
    this.threads.set(threadId, turns);
    let t = turns.get(turn);
    if (!t) turns.set(turn, (t = { threadId, turn, events: [], finished: false }));
    return t;
  }

  async append(threadId: string, turn: number, envelope: AgentEventEnvelope): Promise<void> {
    assertId(threadId, "threadId");
    assertCount(turn, "turn");
    assertPlainObject(envelope, "envelope");
    if (this.threads.get(threadId)?.get(turn)?.finished) throw new StoreError("TURN_FINISHED", `turn ${turn} is finished`);
    this.turnOf(threadId, turn).events.push(clone(envelope));
  }

  async finishTurn(threadId: string, turn: number): Promise<void> {
    assertId(threadId, "threadId");
    assertCount(turn, "turn");
    const t = this.turnOf(threadId, turn);
    // Finishing a finished turn again resolves: the barrier may be retried.
    t.finished = true;
  }

  async getTurn(threadId: string, turn: number): Promise<StoredTurnEvents | undefined> {
    assertId(threadId, "threadId");
    assertCount(turn, "turn");
    const t = this.threads.get(threadId)?.get(turn);
    return t && clone(t);
  }

  async getTurns(threadId: string): Promise<StoredTurnEvents[]> {
    assertId(threadId, "threadId");
    return [...(this.threads.get(threadId)?.values() ?? [])].sort((a, b) => a.turn - b.turn).map(clone);
  }

  async getEvents(threadId: string): Promise<AgentEventEnvelope[]> {
    return (await this.getTurns(threadId)).flatMap((t) => t.events);
  }

  async clear(threadId: string): Promise<void> {
    assertId(threadId, "threadId");
    this.threads.delete(threadId);
  }
}
