/** Seed 004: turn-scoped event streams */

/** One agent event: a plain object of structured-cloneable values. */
export type AgentEventEnvelope = Record<string, unknown>;

export interface StoredTurnEvents {
  threadId: string;
  turn: number;
  events: AgentEventEnvelope[];
  finished: boolean;
}

export interface EventStore {
  /**
   * May buffer; buffered events are visible to reads at once and written within a bounded delay
   * (relaxed: they survive a tab crash once written, not before). An append that resolved is part
   * of its turn when any handle, in any tab, finishes that turn. Rejects with TURN_FINISHED when
   * the turn is finished.
   */
  append(threadId: string, turn: number, envelope: AgentEventEnvelope): Promise<void>;
  /**
   * The durability barrier: resolves once every event of the turn, from every handle, is written
   * and flushed to disk with the turn closed. Rejects with TURN_FINISHED when the turn was already
   * finished (by this handle or another): a turn is finished once.
   */
  finishTurn(threadId: string, turn: number): Promise<void>;
  getTurn(threadId: string, turn: number): Promise<StoredTurnEvents | undefined>;
  /** Ascending turn order. */
  getTurns(threadId: string): Promise<StoredTurnEvents[]>;
  getEvents(threadId: string): Promise<AgentEventEnvelope[]>;
  clear(threadId: string): Promise<void>;
}
