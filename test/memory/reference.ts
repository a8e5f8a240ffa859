import { InMemoryStore } from "@langchain/langgraph-checkpoint";

/**
 * LangGraph's InMemoryStore as the reference, with the two places where IndexedDBStore answers
 * differently on purpose put right, so the differential test compares everything else:
 *  1. A namespace whose last item was deleted is no longer listed (InMemoryStore keeps listing
 *     it forever, and even lists a namespace that only ever saw a delete). IndexedDBStore lists
 *     namespaces that hold items, as PostgresStore does.
 *  2. A put replaces the item's vectors and a delete removes them (InMemoryStore keeps the
 *     vectors of fields the new value no longer has, and of deleted items, which come back when
 *     the key is put again with `index: false`).
 *  3. A get in a batch answers with the item as it was before the batch's writes, as every read
 *     of a batch does (InMemoryStore hands out its live item object, which a put later in the same
 *     batch changes in place).
 * Item keys with ":" are left out of the generated data: InMemoryStore joins namespace and key
 * with ":" to tell items apart within a batch and a ranking, so ["a"]/"b:c" and ["a","b"]/"c"
 * collide there.
 */
export class ReferenceStore extends InMemoryStore {
  override async batch(operations: Parameters<InMemoryStore["batch"]>[0]): Promise<never> {
    const results = await super.batch(operations);
    const self = this as unknown as { data: Map<string, Map<string, unknown>> };
    for (const [ns, items] of self.data) if (items.size === 0) self.data.delete(ns);
    return results as never;
  }
}

const getOperation = (InMemoryStore.prototype as unknown as { getOperation(op: unknown): unknown }).getOperation;
(ReferenceStore.prototype as unknown as { getOperation(op: unknown): unknown }).getOperation = function (op) {
  const item = getOperation.call(this, op);
  return item && { ...(item as object) };
};

// Runs between the batch's reads and its vector insertion (InMemoryStore calls it only then).
const proto = ReferenceStore.prototype as unknown as {
  extractTexts(ops: Array<{ namespace: string[]; key: string }>): unknown;
};
const extractTexts = (InMemoryStore.prototype as unknown as typeof proto).extractTexts;
proto.extractTexts = function (this: { vectors: Map<string, Map<string, unknown>> }, ops) {
  for (const op of ops) this.vectors.get(op.namespace.join(":"))?.delete(op.key);
  return extractTexts.call(this, ops);
};
