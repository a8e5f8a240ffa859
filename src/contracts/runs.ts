/** Seed 002: workflow runs */

/**
 * A run's status. createRun starts a run as "running" (the contract's runs start when they are
 * created); "pending" is accepted for an app that creates runs ahead of time and sets it itself.
 */
export type RunStatus = "pending" | "running" | "paused" | "completed" | "failed" | "cancelled";
export const RUN_STATUSES: readonly RunStatus[] = ["pending", "running", "paused", "completed", "failed", "cancelled"];

export interface RunMetadata {
  runId: string;
  workflow: string;
  params: Record<string, unknown>;
  /** "running" when created. */
  status: RunStatus;
  createdAt: number;
  /** Moves on every change to the run: its status, a saved checkpoint, an appended event. */
  updatedAt: number;
}

export interface CheckpointMeta {
  runId: string;
  nodeId: string;
  /**
   * 1, 2, 3, ... per run, across its nodes (one counter, as the run's events have): saving A, B,
   * then A again gives A 1, B 2, A 3. A node's seqs therefore increase with gaps.
   */
  seq: number;
  createdAt: number;
  size: number;
  metadata?: Record<string, string>;
}

export interface RunCheckpoint {
  meta: CheckpointMeta;
  state: Uint8Array;
}

export interface WorkflowEventInput {
  runId: string;
  /** What happened, e.g. "node_started". */
  kind: string;
  /** Absent, undefined or null: no node (the contract's Option). */
  nodeId?: string | null;
  data?: unknown;
}

export interface WorkflowEvent extends Omit<WorkflowEventInput, "nodeId"> {
  /** Present only when the event was appended with a node. */
  nodeId?: string;
  /** Dense and strictly increasing per run, starting at 1. */
  seq: number;
  timestamp: number;
}

export interface RunStore {
  /** Starts the run as "running"; rejects with CONFLICT (not retryable) when the run exists. */
  createRun(runId: string, workflow: string, params: Record<string, unknown>): Promise<RunMetadata>;
  getRun(runId: string): Promise<RunMetadata | undefined>;
  /** Rejects with NOT_FOUND for an unknown run. */
  updateRunStatus(runId: string, status: RunStatus): Promise<void>;
  /** Rejects with NOT_FOUND for an unknown run. */
  saveCheckpoint(runId: string, nodeId: string, state: Uint8Array, metadata?: Record<string, string> | null): Promise<CheckpointMeta>;
  /** The node's newest checkpoint, or undefined. */
  loadCheckpoint(runId: string, nodeId: string): Promise<RunCheckpoint | undefined>;
  loadCheckpointAt(runId: string, nodeId: string, seq: number): Promise<RunCheckpoint | undefined>;
  /** Every checkpoint of the run, in the order they were saved. */
  listCheckpoints(runId: string): Promise<CheckpointMeta[]>;
  /** The node's checkpoints by ascending seq. */
  listNodeCheckpoints(runId: string, nodeId: string): Promise<CheckpointMeta[]>;
  /** Resolves with the event's seq. Rejects with NOT_FOUND for an unknown run. */
  appendEvent(event: WorkflowEventInput): Promise<number>;
  /** Events with seq greater than sinceSeq (all when undefined or null), ascending, at most limit. */
  getEvents(runId: string, sinceSeq: number | null | undefined, limit: number): Promise<WorkflowEvent[]>;
  /** Removes the run, its checkpoints and events; resolves with whether the run existed. */
  deleteRun(runId: string): Promise<boolean>;
}
