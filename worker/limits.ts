/** Size caps of what is not a state payload, checked before anything is written. */
export interface Limits {
  /** Largest event envelope (seed 002 and seed 004 events), estimated from its contents. */
  eventBytes: number;
  /** Largest metadata object or run params, estimated from its contents. */
  metadataBytes: number;
}

/**
 * An event is a token, a tool call or a message: kilobytes. Metadata names a step: bytes. The
 * caps sit far above both and far below what would stall the worker or fill the quota by mistake.
 */
export const DEFAULT_LIMITS: Limits = {
  eventBytes: 4 * 1024 * 1024,
  metadataBytes: 1024 * 1024,
};
