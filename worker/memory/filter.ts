/**
 * Search filters with LangGraph's semantics (those of its InMemoryStore): each filter key names a
 * top-level property of the value (a dotted key is one property name, not a path), and its
 * condition is either a value compared with === (so an object or array never equals a stored
 * one) or an object of operators. $gt/$gte/$lt/$lte compare as numbers (Number(x)), $in/$nin
 * test membership with ===, and an object whose keys are not all operators is a plain value.
 * $exists (true: the value has the property, whatever it holds, null included; false: it has
 * not) is PostgresStore's and RedisStore's: InMemoryStore has no such operator and matches
 * nothing with it, where those stores answer.
 */

const OPERATORS = new Set(["$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$in", "$nin", "$exists"]);

function isOperators(condition: unknown): condition is Record<string, unknown> {
  return typeof condition === "object" && condition !== null && Object.keys(condition).every((k) => OPERATORS.has(k));
}

const has = (value: Record<string, unknown>, key: string) => Object.prototype.hasOwnProperty.call(value, key) && value[key] !== undefined;

function test(value: Record<string, unknown>, key: string, condition: unknown): boolean {
  const actual = value[key];
  if (!isOperators(condition)) return actual === condition;
  for (const [op, operand] of Object.entries(condition)) {
    let ok: boolean;
    switch (op) {
      case "$eq":
        ok = actual === operand;
        break;
      case "$ne":
        ok = actual !== operand;
        break;
      case "$gt":
        ok = Number(actual) > Number(operand);
        break;
      case "$gte":
        ok = Number(actual) >= Number(operand);
        break;
      case "$lt":
        ok = Number(actual) < Number(operand);
        break;
      case "$lte":
        ok = Number(actual) <= Number(operand);
        break;
      case "$in":
        ok = Array.isArray(operand) && operand.includes(actual);
        break;
      case "$exists":
        ok = has(value, key) === Boolean(operand);
        break;
      default: // $nin
        ok = !Array.isArray(operand) || !operand.includes(actual);
    }
    if (!ok) return false;
  }
  return true;
}

export type Filter = Record<string, unknown>;

/** Whether a stored value passes every condition of the filter. */
export function matches(value: Record<string, unknown>, filter: Filter | null | undefined): boolean {
  if (!filter) return true;
  for (const key of Object.keys(filter)) if (!test(value, key, filter[key])) return false;
  return true;
}
