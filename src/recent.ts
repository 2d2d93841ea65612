/** Recent values by key (exit reasons, snapshots of exited actors), bounded without per-entry cost. */
const RECENT = 10_000;

/**
 * The last RECENT..2×RECENT values by key, in two generations: when the current one
 * is full it becomes the old one (no per-entry eviction cost).
 */
export class Recent<V> {
  private current = new Map<string, V>();
  private old = new Map<string, V>();

  set(key: string, value: V): void {
    if (this.current.size >= RECENT) {
      this.old = this.current;
      this.current = new Map();
    }
    this.current.set(key, value);
  }

  get(key: string): V | undefined {
    return this.current.get(key) ?? this.old.get(key);
  }
}
