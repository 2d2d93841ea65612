/**
 * Claimable batches in shared memory: items leave the server in batches, and a consumer takes item
 * i of its batch with a compare-and-swap on the batch's claim word, so the server can take back
 * what was not taken yet (its consumer died, or another consumer would starve) — nothing lost,
 * nothing twice. Claim word: [generation:19][revoked-all:1][revoked:1][taken:10]. `revoked`
 * leaves the first item to the consumer (its get() asked for it); `revoked-all` leaves nothing.
 */

export const TAKEN = 0x3ff;
export const REVOKED = 1 << 10;
export const REVOKED_ALL = 1 << 11;
export const GEN_SHIFT = 12;
export const GEN_MASK = 0x7ffff;

/**
 * Consumer side of a claim: the index of the next item this consumer may take from its batch, or
 * -1 if the batch is used up or the server took the rest back.
 */
export function claim(words: Int32Array, slot: number, gen: number, n: number): number {
  for (;;) {
    const w = Atomics.load(words, slot);
    const t = claimable(w, gen, n);
    if (t < 0 || Atomics.compareExchange(words, slot, w, w + 1) === w) return t;
  }
}

/** The index `claim` would take now, without taking it (-1: nothing left). */
export function peekClaim(words: Int32Array, slot: number, gen: number, n: number): number {
  return claimable(Atomics.load(words, slot), gen, n);
}

function claimable(w: number, gen: number, n: number): number {
  if (w >>> GEN_SHIFT !== gen || (w & REVOKED_ALL) !== 0) return -1;
  const t = w & TAKEN;
  return t >= n || ((w & REVOKED) !== 0 && t >= 1) ? -1 : t;
}
