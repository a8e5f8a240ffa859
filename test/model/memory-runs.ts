import { StoreError, invalid } from "../../src/errors";
import { assertBytes, assertCount, assertId, assertPlainData, assertPlainObject, assertStringRecord } from "../../src/validate";
import {
  RUN_STATUSES,
  type CheckpointMeta,
  type RunCheckpoint,
  type RunMetadata,
  type RunStatus,
  type RunStore,
  type WorkflowEvent,
  type WorkflowEventInput,
} from "../../src/types";
import { clone } from "./clone";

interface Run {
  meta: RunMetadata;
  /** Every checkpoint in save order. */
  checkpoints: RunCheckpoint[];
  events: WorkflowEvent[];
}

/** Seed 002 as plain arrays: checkpoint seqs and event seqs each count per run, from 1. */
export class MemoryRuns implements RunStore {
  private readonly runs = new Map<string, Run>();

  private run(runId: string): Run {
    const run = this.runs.get(runId);
    if (!run) throw new StoreError("NOT_FOUND", `run ${runId} does not exist`);
    return run;
  }

  async createRun(runId: string, workflow: string, params: Record<string, unknown>): Promise<RunMetadata> {
    assertId(runId, "runId");
    assertId(workflow, "workflow");
    assertPlainObject(params, "params");
    if (this.runs.has(runId)) throw new StoreError("CONFLICT", `run ${runId} exists`);
    const meta: RunMetadata = { runId, workflow, params: clone(params), status: "running", createdAt: 0, updatedAt: 0 };
    this.runs.set(runId, { meta, checkpoints: [], events: [] });
    return clone(meta);
  }

  async getRun(runId: string): Promise<RunMetadata | undefined> {
    assertId(runId, "runId");
    const run = this.runs.get(runId);
    return run && clone(run.meta);
  }

  async updateRunStatus(runId: string, status: RunStatus): Promise<void> {
    assertId(runId, "runId");
    if (!RUN_STATUSES.includes(status)) throw invalid(`bad status`);
    this.run(runId).meta.status = status;
  }

  async saveCheckpoint(runId: string, nodeId: string, state: Uint8Array, metadata?: Record<string, string> | null): Promise<CheckpointMeta> {
    assertId(runId, "runId");
    assertId(nodeId, "nodeId");
    assertBytes(state, "state");
    if (metadata != null) assertStringRecord(metadata, "metadata");
    const run = this.run(runId);
    const seq = run.checkpoints.length + 1;
    const meta: CheckpointMeta = { runId, nodeId, seq, createdAt: 0, size: state.length };
    if (metadata != null) meta.metadata = { ...metadata };
    run.checkpoints.push({ meta, state: state.slice() });
    return clone(meta);
  }

  async loadCheckpoint(runId: string, nodeId: string): Promise<RunCheckpoint | undefined> {
    assertId(runId, "runId");
    assertId(nodeId, "nodeId");
    const mine = this.runs.get(runId)?.checkpoints.filter((c) => c.meta.nodeId === nodeId) ?? [];
    return mine.length ? clone(mine[mine.length - 1]) : undefined;
  }

  async loadCheckpointAt(runId: string, nodeId: string, seq: number): Promise<RunCheckpoint | undefined> {
    assertId(runId, "runId");
    assertId(nodeId, "nodeId");
    assertCount(seq, "seq");
    const found = this.runs.get(runId)?.checkpoints.find((c) => c.meta.nodeId === nodeId && c.meta.seq === seq);
    return found && clone(found);
  }

  async listCheckpoints(runId: string): Promise<CheckpointMeta[]> {
    assertId(runId, "runId");
    return (this.runs.get(runId)?.checkpoints ?? []).map((c) => clone(c.meta));
  }

  async listNodeCheckpoints(runId: string, nodeId: string): Promise<CheckpointMeta[]> {
    assertId(runId, "runId");
    assertId(nodeId, "nodeId");
    return (await this.listCheckpoints(runId)).filter((m) => m.nodeId === nodeId);
  }

  async appendEvent(event: WorkflowEventInput): Promise<number> {
    assertPlainObject(event, "event");
    assertId(event.runId, "event.runId");
    assertId(event.kind, "event.kind");
    if (event.nodeId != null) assertId(event.nodeId, "event.nodeId");
    if (event.data !== undefined) assertPlainData(event.data, "event.data");
    const run = this.run(event.runId);
    const stored: WorkflowEvent = { runId: event.runId, kind: event.kind, seq: run.events.length + 1, timestamp: 0 };
    if (event.nodeId != null) stored.nodeId = event.nodeId;
    if (event.data !== undefined) stored.data = clone(event.data);
    run.events.push(stored);
    return stored.seq;
  }

  async getEvents(runId: string, sinceSeq: number | null | undefined, limit: number): Promise<WorkflowEvent[]> {
    assertId(runId, "runId");
    if (sinceSeq != null) assertCount(sinceSeq, "sinceSeq");
    assertCount(limit, "limit");
    return (this.runs.get(runId)?.events ?? []).filter((e) => e.seq > (sinceSeq ?? 0)).slice(0, limit).map(clone);
  }

  async deleteRun(runId: string): Promise<boolean> {
    assertId(runId, "runId");
    return this.runs.delete(runId);
  }
}
