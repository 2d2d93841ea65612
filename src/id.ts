/**
 * New ids for actors, processes and handles: 21 symbols of nanoid's URL-safe alphabet drawn from
 * crypto-random bytes, as nanoid makes them, but written into a byte buffer and read out as one
 * flat string. (nanoid() appends one character at a time, which leaves a rope of nine nested
 * strings; V8 walks it to hash the id at its first Map lookup: ~0.3 µs of every spawn.)
 */
import { randomFillSync } from 'node:crypto';
import { urlAlphabet } from 'nanoid';

const SIZE = 21;
const SYMBOLS = Buffer.from(urlAlphabet, 'latin1');
/** random bytes for 256 ids at a time */
const pool = Buffer.allocUnsafe(SIZE * 256);
let used = pool.length;
const out = Buffer.allocUnsafe(SIZE);

export function newId(): string {
  if (used + SIZE > pool.length) {
    randomFillSync(pool);
    used = 0;
  }
  for (let i = 0; i < SIZE; i++) out[i] = SYMBOLS[pool[used + i]! & 63]!;
  used += SIZE;
  return out.toString('latin1', 0, SIZE);
}
