/**
 * The texts of a value that a field path selects, for embedding, with the path syntax of
 * LangGraph's stores: "a.b" nested fields, "[0]" / "[-1]" / "[*]" array elements, "*" every
 * property, "{a,b.c}" several fields, "$" (or an empty path) the whole value. Strings, numbers and
 * booleans become their text; objects and arrays their JSON, indented by two. This matches the
 * texts InMemoryStore embeds, so the same embedding function gives both stores the same vectors.
 */

/** "a.b[*].c" -> ["a", "b", "[*]", "c"]; brackets and braces are kept whole. */
export function tokenizePath(path: string): string[] {
  const tokens: string[] = [];
  let word = "";
  const flush = () => {
    if (word) tokens.push(word);
    word = "";
  };
  for (let i = 0; i < path.length; ) {
    const c = path[i];
    if (c === "[" || c === "{") {
      flush();
      const close = c === "[" ? "]" : "}";
      let depth = 1;
      let j = i + 1;
      while (j < path.length && depth > 0) {
        if (path[j] === c) depth++;
        else if (path[j] === close) depth--;
        j++;
      }
      tokens.push(path.slice(i, j));
      i = j;
      continue;
    }
    if (c === ".") flush();
    else word += c;
    i++;
  }
  flush();
  return tokens;
}

const json = (v: unknown) => JSON.stringify(v, null, 2);

function leafText(v: unknown): string[] {
  if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") return [String(v)];
  if (v !== null && typeof v === "object") return [json(v)];
  return [];
}

function walk(v: unknown, tokens: string[], pos: number): string[] {
  if (pos >= tokens.length) return leafText(v);
  const token = tokens[pos];
  const out: string[] = [];
  if (pos === 0 && token === "$") out.push(json(v));
  if (token.startsWith("[") && token.endsWith("]")) {
    if (!Array.isArray(v)) return [];
    const index = token.slice(1, -1);
    if (index === "*") {
      for (const item of v) out.push(...walk(item, tokens, pos + 1));
    } else {
      let i = parseInt(index, 10);
      if (i < 0) i += v.length;
      if (i >= 0 && i < v.length) out.push(...walk(v[i], tokens, pos + 1));
    }
  } else if (token.startsWith("{") && token.endsWith("}")) {
    if (v === null || typeof v !== "object") return [];
    for (const field of token.slice(1, -1).split(",").map((f) => f.trim())) {
      const parts = tokenizePath(field);
      if (parts.length === 0) continue;
      let cur: unknown = v;
      for (const part of parts) {
        cur = cur !== null && typeof cur === "object" && part in cur ? (cur as Record<string, unknown>)[part] : undefined;
        if (cur === undefined) break;
      }
      // Here a null field is the text "null" (only a leaf null is no text), as upstream.
      if (cur === null) out.push("null");
      else if (cur !== undefined) out.push(...leafText(cur));
    }
  } else if (token === "*") {
    if (Array.isArray(v)) for (const item of v) out.push(...walk(item, tokens, pos + 1));
    else if (v !== null && typeof v === "object") for (const item of Object.values(v)) out.push(...walk(item, tokens, pos + 1));
  } else if (v !== null && typeof v === "object" && token in v) {
    out.push(...walk((v as Record<string, unknown>)[token], tokens, pos + 1));
  }
  return out;
}

/** The texts at `path` (a path string, or tokens from tokenizePath). */
export function textsAtPath(value: unknown, path: string | string[]): string[] {
  if (!path || path === "$") return [json(value)];
  return walk(value, Array.isArray(path) ? path : tokenizePath(path), 0);
}
