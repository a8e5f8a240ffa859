/** What a value looks like after it was stored and read back: a structured clone. */
export function clone<T>(value: T): T {
  return structuredClone(value);
}
