/**
 * Puts a result in a form two implementations can be compared in: bytes as hex, bigints, dates,
 * maps and sets spelled out, object keys sorted, times dropped (they differ by design), and the
 * library's generated ids replaced by the model's through `ids`.
 */
const TIMES = new Set(["createdAt", "updatedAt", "timestamp"]);

export function normalize(value: unknown, ids: ReadonlyMap<string, string> = new Map()): unknown {
  if (value === undefined) return "<undefined>";
  if (typeof value === "string") return ids.get(value) ?? value;
  if (typeof value === "number") return Number.isNaN(value) ? "<NaN>" : Object.is(value, -0) ? "<-0>" : value === Infinity || value === -Infinity ? `<${value}>` : value;
  if (typeof value === "bigint") return `<${value}n>`;
  if (typeof value !== "object" || value === null) return value;
  if (value instanceof Uint8Array) return `<bytes ${Array.from(value, (b) => b.toString(16).padStart(2, "0")).join("")}>`;
  if (value instanceof Date) return `<date ${Number.isNaN(value.getTime()) ? "invalid" : value.toISOString()}>`;
  if (value instanceof Map) return { "<map>": [...value].map(([k, v]) => [normalize(k, ids), normalize(v, ids)]) };
  if (value instanceof Set) return { "<set>": [...value].map((v) => normalize(v, ids)) };
  if (Array.isArray(value)) return value.map((v) => normalize(v, ids));
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer || value instanceof RegExp) return `<${Object.prototype.toString.call(value)} ${String(value)}>`;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    if (TIMES.has(key)) continue;
    // Own "__proto__" keys must stay data: defineProperty, never assignment.
    Object.defineProperty(out, key, { value: normalize((value as Record<string, unknown>)[key], ids), enumerable: true });
  }
  return out;
}
