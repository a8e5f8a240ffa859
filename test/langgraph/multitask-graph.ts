import type * as LangGraphWeb from "@langchain/langgraph/web";
import type { BaseCheckpointSaver } from "@langchain/langgraph-checkpoint";

/**
 * A slow graph for double-texting: each run appends `${label}${i}` in five steps that each take
 * `stepMs`, so a second run can arrive while the first is half done. Node and the e2e page use it.
 */
export const STEPS = 5;

export function buildSlowGraph(lg: typeof LangGraphWeb, checkpointer: BaseCheckpointSaver, stepMs: number) {
  const State = lg.Annotation.Root({
    label: lg.Annotation<string>({ reducer: (_a, b) => b, default: () => "" }),
    log: lg.Annotation<string[]>({ reducer: (a, b) => a.concat(b), default: () => [] }),
  });
  let g = new lg.StateGraph(State) as unknown as { addNode: Function; addEdge: Function; compile: Function };
  for (let i = 0; i < STEPS; i++) {
    g = g.addNode(`s${i}`, async (s: typeof State.State) => {
      await new Promise((r) => setTimeout(r, stepMs));
      return { log: [`${s.label}${i}`] };
    });
    g = g.addEdge(i === 0 ? lg.START : `s${i - 1}`, `s${i}`);
  }
  return g.compile({ checkpointer }) as {
    invoke(input: unknown, config: unknown): Promise<{ log: string[] }>;
    getState(config: unknown): Promise<{ values: { log?: string[] } }>;
  };
}
