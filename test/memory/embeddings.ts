/**
 * A deterministic embedding for tests: each text maps to small whole numbers (exact in float32,
 * so a stored vector equals the one InMemoryStore keeps), from a hash of its characters. Few
 * distinct vectors, so ties in the ranking happen and their order is compared too.
 */
export function embedText(text: string, dims: number): number[] {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return Array.from({ length: dims }, (_, d) => (((h >>> (d * 3)) & 7) - 3));
}

export class TestEmbeddings {
  calls = 0;
  constructor(readonly dims: number) {}
  async embedDocuments(texts: string[]): Promise<number[][]> {
    this.calls++;
    return texts.map((t) => embedText(t, this.dims));
  }
  async embedQuery(text: string): Promise<number[]> {
    this.calls++;
    return embedText(text, this.dims);
  }
}
