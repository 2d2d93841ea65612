/**
 * The server's side of claimable batches (claims.ts): hands items to a consumer as one batch with
 * a claim slot, and takes back what the consumer has not taken (it died, closed its handle, or
 * another getter found the queue empty). Claim slots live in the handle's `counts` buffer, then in
 * extra shared pages once those are in use.
 */
import { GEN_MASK, GEN_SHIFT, REVOKED, REVOKED_ALL, TAKEN } from './claims.js';
import { SLOT_BASE, SLOTS, type Delivery } from './protocol.js';

const PAGE_WORDS = 1024;

/** Items handed to one consumer, from one channel. */
export interface Batch {
  key: string;
  channel: number;
  items: unknown[];
  /** items [0, limit) belong to the consumer; the rest went back */
  limit: number;
  words: Int32Array;
  slot: number;
  page: number;
}

export class Batches {
  readonly outstanding = new Map<number, Batch>();
  private readonly free: Array<{ words: Int32Array; slot: number; page: number }> = [];
  private readonly pages: Int32Array[] = [];
  private next = 1;

  constructor(counts: Int32Array) {
    for (let i = SLOTS - 1; i >= 0; i--) this.free.push({ words: counts, slot: SLOT_BASE + i, page: -1 });
  }

  private slot(): { words: Int32Array; slot: number; page: number } {
    if (this.free.length === 0) {
      for (const [id, batch] of this.outstanding) if (taken(batch) >= batch.limit) this.release(id, batch);
    }
    if (this.free.length === 0) {
      const words = new Int32Array(new SharedArrayBuffer(PAGE_WORDS * 4));
      const page = this.pages.push(words) - 1;
      for (let i = PAGE_WORDS - 1; i >= 0; i--) this.free.push({ words, slot: i, page });
    }
    return this.free.pop()!;
  }

  release(id: number, batch: Batch): void {
    this.outstanding.delete(id);
    this.free.push({ words: batch.words, slot: batch.slot, page: batch.page });
  }

  /** Hands `items` (of `channel`) to `key` as one claimable batch. */
  deliver(channel: number, key: string, items: unknown[]): Delivery {
    const { words, slot, page } = this.slot();
    const generation = ((Atomics.load(words, slot) >>> GEN_SHIFT) + 1) & GEN_MASK;
    Atomics.store(words, slot, generation << GEN_SHIFT);
    const id = this.next++;
    this.outstanding.set(id, { key, channel, items, limit: items.length, words, slot, page });
    const delivery: Delivery = { batch: id, items, slot, generation };
    if (page >= 0) delivery.page = words.buffer as SharedArrayBuffer;
    return delivery;
  }

  /** Takes back what the consumer has not taken; `all` also takes the first item of the batch. */
  revoke(batch: Batch, all: boolean): unknown[] {
    for (;;) {
      const w = Atomics.load(batch.words, batch.slot);
      const t = w & TAKEN;
      const from = all ? t : Math.max(t, 1);
      if (from >= batch.limit) return [];
      if (Atomics.compareExchange(batch.words, batch.slot, w, w | (all ? REVOKED_ALL : REVOKED)) !== w) continue;
      const back = batch.items.slice(from, batch.limit);
      batch.limit = from;
      return back;
    }
  }

  /** Everything `key` holds goes back (per channel), and its batches are freed. */
  revokeAll(key: string, channels: number): unknown[][] {
    const back: unknown[][] = Array.from({ length: channels }, () => []);
    for (const [id, batch] of this.outstanding) {
      if (batch.key !== key) continue;
      back[batch.channel]!.push(...this.revoke(batch, true));
      this.release(id, batch);
    }
    return back;
  }

  /** A getter found `channel` empty: take back the rest of the oldest batch someone still holds. */
  reclaim(channel: number): unknown[] {
    for (const [id, batch] of this.outstanding) {
      if (batch.channel !== channel) continue;
      const back = this.revoke(batch, false);
      if (taken(batch) >= batch.limit) this.release(id, batch);
      if (back.length > 0) return back;
    }
    return [];
  }

  /** A handle gave a batch back (it closed): what it did not take, or undefined if unknown. */
  returned(id: number): { channel: number; items: unknown[] } | undefined {
    const batch = this.outstanding.get(id);
    if (!batch) return undefined;
    const items = this.revoke(batch, true);
    this.release(id, batch);
    return { channel: batch.channel, items };
  }

  /** Drops every outstanding batch; returns how many items they still held. */
  dropAll(): number {
    let dropped = 0;
    for (const [id, batch] of this.outstanding) {
      dropped += this.revoke(batch, true).length;
      this.release(id, batch);
    }
    return dropped;
  }
}

function taken(batch: Batch): number {
  return Atomics.load(batch.words, batch.slot) & TAKEN;
}
