/**
 * The order of a checkpoint's pending writes, shared by the worker (which sorts what it reads)
 * and the LangGraph adapter (which answers from writes still on their way): task path, task id,
 * then idx, as LangGraph's writes sort key.
 */
export interface WriteSlot {
  taskPath: string;
  taskId: string;
  idx: number;
}

export function compareWrites(a: WriteSlot, b: WriteSlot): number {
  return compareCodePoints(a.taskPath, b.taskPath) || compareCodePoints(a.taskId, b.taskId) || a.idx - b.idx;
}

/** Strings by code point, as LangGraph's compareWritesSortKeys (not UTF-16 units, not locale). */
export function compareCodePoints(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(j)!;
    if (x !== y) return x < y ? -1 : 1;
    i += x > 0xffff ? 2 : 1;
    j += y > 0xffff ? 2 : 1;
  }
  if (i >= a.length && j >= b.length) return 0;
  return i >= a.length ? -1 : 1;
}
