/**
 * The demo's tools: plain functions over the thread's state. Deterministic and local, like the
 * responder, so the demo runs offline.
 */

export interface ToolOutcome {
  content: string;
  /** Notes to add to the thread's state. */
  notes?: string[];
}

/**
 * Every tool run is entered in a ledger that all tabs share (localStorage): the demo's stand-in
 * for a tool's side effect, such as an email sent or a payment made, which must happen once
 * however many tabs approve the step. The count is shown in the Events panel.
 */
export const TOOL_LEDGER_KEY = "idb-checkpoint-demo:tool-runs";

export function toolRuns(): number {
  try {
    return Number(localStorage.getItem(TOOL_LEDGER_KEY) ?? 0);
  } catch {
    return 0;
  }
}

function enterInLedger(): void {
  try {
    localStorage.setItem(TOOL_LEDGER_KEY, String(toolRuns() + 1));
  } catch {
    // No localStorage (a sandboxed frame): the tool still runs, uncounted.
  }
}

export function runTool(name: string, args: Record<string, string>, notes: readonly string[]): ToolOutcome {
  enterInLedger();
  switch (name) {
    case "calculator":
      return { content: formatNumber(evaluate(args.expression ?? "")) };
    case "save_note": {
      const text = args.text ?? "";
      const count = notes.length + 1;
      return { content: `You have ${count} note${count === 1 ? "" : "s"} now, kept for every conversation.`, notes: [text] };
    }
    case "search_notes":
      return { content: searchNotes(args.query ?? "", notes) };
    default:
      return { content: `Unknown tool ${name}.` };
  }
}

function searchNotes(query: string, notes: readonly string[]): string {
  if (notes.length === 0) return 'There are no notes yet. Start a message with "remember" and I will keep it.';
  const words = new Set(query.toLowerCase().match(/[\p{L}\p{N}]{3,}/gu) ?? []);
  const hits = notes.filter((note) => (note.toLowerCase().match(/[\p{L}\p{N}]{3,}/gu) ?? []).some((w) => words.has(w)));
  if (hits.length === 0) return `None of the ${notes.length} notes matches that. Latest note: "${notes[notes.length - 1]}".`;
  return `From your notes: ${hits.map((n) => `"${n}"`).join("; ")}.`;
}

function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return "not a finite number";
  return Number.isInteger(value) ? String(value) : String(Math.round(value * 1e10) / 1e10);
}

/**
 * A small recursive-descent evaluator for + - * / and parentheses. Never `eval`: the expression
 * comes from the user's message.
 */
export function evaluate(expression: string): number {
  const tokens = expression.match(/\d+(?:\.\d+)?|[-+*/()]/g) ?? [];
  let pos = 0;
  const peek = () => tokens[pos];
  const take = () => tokens[pos++];
  const primary = (): number => {
    const t = take();
    if (t === "(") {
      const v = sum();
      take(); // ")"
      return v;
    }
    if (t === "-") return -primary();
    const n = Number(t);
    if (t === undefined || Number.isNaN(n)) throw new Error(`cannot read "${expression}"`);
    return n;
  };
  const product = (): number => {
    let v = primary();
    while (peek() === "*" || peek() === "/") v = take() === "*" ? v * primary() : v / primary();
    return v;
  };
  const sum = (): number => {
    let v = product();
    while (peek() === "+" || peek() === "-") v = take() === "+" ? v + product() : v - product();
    return v;
  };
  return sum();
}
