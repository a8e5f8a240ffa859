/** Turns a value into bytes and back; TypedCheckpointStore runs it on the page, before the worker. */
export interface Codec<T> {
  encode(value: T): Uint8Array;
  decode(bytes: Uint8Array): T;
}
