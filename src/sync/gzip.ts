import { ProtocolError } from "./protocol.js";

/**
 * gzip through the platform's CompressionStream (browsers, Node 18+, Deno, workers): the wire
 * format needs no library of its own, and the page's bundle stays as it is.
 */

async function collect(stream: ReadableStream<Uint8Array>, max = Infinity): Promise<Uint8Array> {
  const reader = stream.getReader();
  const parts: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      // Stop reading (and inflating) as soon as the limit is passed: a small bomb expands without end.
      if (total > max) throw new ProtocolError(`body is larger than ${max} bytes`, true);
      parts.push(value);
    }
  } catch (e) {
    reader.cancel().catch(() => {});
    throw e;
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function streamOf(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(c) {
      c.enqueue(bytes);
      c.close();
    },
  });
}

export function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  return collect(streamOf(bytes).pipeThrough(new CompressionStream("gzip") as unknown as TransformStream<Uint8Array, Uint8Array>));
}

/** Inflates at most `max` bytes; a corrupt stream is a ProtocolError. */
export async function gunzip(source: Uint8Array | ReadableStream<Uint8Array>, max: number): Promise<Uint8Array> {
  const input = source instanceof Uint8Array ? streamOf(source) : source;
  try {
    return await collect(input.pipeThrough(new DecompressionStream("gzip") as unknown as TransformStream<Uint8Array, Uint8Array>), max);
  } catch (e) {
    if (e instanceof ProtocolError) throw e;
    throw new ProtocolError("body is not valid gzip");
  }
}

/** Reads a stream of at most `max` bytes. */
export function readLimited(stream: ReadableStream<Uint8Array>, max: number): Promise<Uint8Array> {
  return collect(stream, max);
}
