/** Raw rows of the memory store whose key starts with ["m", kind], read on a connection of their own. */
export async function rawRows(factory: IDBFactory, name: string, kind: string): Promise<Array<{ key: IDBValidKey[]; value: unknown }>> {
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const req = factory.open(name);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
  try {
    const store = db.transaction("meta", "readonly").objectStore("meta");
    const range = IDBKeyRange.bound(["m", kind], ["m", kind, [[]]]);
    const [keys, values] = await Promise.all(
      [store.getAllKeys(range), store.getAll(range)].map((r) => new Promise<unknown[]>((resolve, reject) => ((r.onsuccess = () => resolve(r.result)), (r.onerror = () => reject(r.error))))),
    );
    return keys.map((key, i) => ({ key: key as IDBValidKey[], value: values[i] }));
  } finally {
    db.close();
  }
}
