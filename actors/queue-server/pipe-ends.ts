/**
 * The two ends of a pipe as Python's file descriptors behave (DESIGN §4.3): every holder has its own
 * copy of an end — the creator, every Process or actor that received it, every copy in a message
 * in flight — and `close()` closes the caller's copy only. An end is finished once every copy of
 * it is closed or its holder exited; its reader then sees EOF after the last item, its writers
 * BrokenPipe, and it never reopens. The FINISHED flags are published in the handles' shared words.
 */
import { FINISHED, FLAGS } from './protocol.js';

interface Copy {
  end: number;
  holder: string;
}

export class PipeEnds {
  private readonly copies = new Map<string, Copy>();
  private readonly live: [number, number] = [0, 0];
  /** transfers that arrived before their copy (the message carrying it took a faster path) */
  private readonly early = new Map<string, string>();

  constructor(
    private readonly counts: Int32Array,
    first: { holder: string; copies: [string, string] },
  ) {
    this.add(0, first.copies[0], first.holder);
    this.add(1, first.copies[1], first.holder);
  }

  finished(end: number): boolean {
    return (Atomics.load(this.counts, FLAGS) & FINISHED(end)) !== 0;
  }

  /** A new copy of `end` for `holder`; a copy of a finished end is born closed (returns false). */
  add(end: number, copy: string, holder: string): boolean {
    if (this.finished(end) || this.copies.has(copy)) return false;
    const claimed = this.early.get(copy);
    if (claimed !== undefined) this.early.delete(copy);
    this.copies.set(copy, { end, holder: claimed ?? holder });
    this.live[end]!++;
    return true;
  }

  /** The copy now belongs to `holder` (its receiver revived it). */
  transfer(copy: string, holder: string): void {
    const known = this.copies.get(copy);
    if (known) known.holder = holder;
    else if (this.early.size < 10_000) this.early.set(copy, holder);
  }

  /** Who holds `copy` now. */
  holderOf(copy: string): string | undefined {
    return this.copies.get(copy)?.holder;
  }

  /** Closes one copy; returns the end if that was its last copy. */
  close(copy: string): number | undefined {
    const known = this.copies.get(copy);
    if (!known) return undefined;
    this.copies.delete(copy);
    if (--this.live[known.end]! > 0) return undefined;
    Atomics.or(this.counts, FLAGS, FINISHED(known.end));
    return known.end;
  }

  /** `holder` exited: its copies close; returns the ends that finished. */
  holderGone(holder: string): number[] {
    const ended: number[] = [];
    for (const [copy, known] of [...this.copies]) {
      if (known.holder !== holder) continue;
      const end = this.close(copy);
      if (end !== undefined) ended.push(end);
    }
    return ended;
  }

  /** Every holder of a live copy (for monitoring). */
  holders(): Set<string> {
    return new Set([...this.copies.values()].map((known) => known.holder));
  }

  counts2(): [number, number] {
    return [this.live[0]!, this.live[1]!];
  }
}
