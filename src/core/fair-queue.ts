/**
 * A queue served round robin by key: each key with items waiting gets one turn in every
 * round, so a key with many items waits behind itself, not in front of everyone else.
 */
export interface FairQueue<T> {
  readonly size: number;
  add(key: string, item: T): void;
  take(): T | undefined;
  /** How many items would be served before one more item added now for `key`. */
  aheadOf(key: string): number;
  drain(): T[];
}

export function createFairQueue<T>(): FairQueue<T> {
  // A Map keeps insertion order: its first key is the one whose turn it is.
  const byKey = new Map<string, T[]>();
  let size = 0;

  return {
    get size() {
      return size;
    },
    add(key, item) {
      const items = byKey.get(key);
      if (items) items.push(item);
      else byKey.set(key, [item]);
      size += 1;
    },
    take() {
      const next = byKey.entries().next();
      if (next.done) return undefined;
      const [key, items] = next.value;
      const item = items.shift();
      byKey.delete(key);
      if (items.length > 0) byKey.set(key, items);
      size -= 1;
      return item;
    },
    aheadOf(key) {
      const own = byKey.get(key)?.length ?? 0;
      let ahead = own;
      for (const [other, items] of byKey) {
        if (other !== key) ahead += Math.min(items.length, own + 1);
      }
      return ahead;
    },
    drain() {
      const all = [...byKey.values()].flat();
      byKey.clear();
      size = 0;
      return all;
    },
  };
}
