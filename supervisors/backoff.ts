/**
 * Delayed restarts (Akka-style exponential backoff): the n-th consecutive restart of a child waits
 * min·2^n ms, capped at max, spread by ±jitter so that siblings that failed together do not
 * restart in lock-step. The count resets once a restarted child has run for `min` ms.
 */
import type { Backoff } from './child-spec.js';

/** The delay (ms) before restart attempt `attempt` (0 for the first restart). */
export function backoffDelay(backoff: Backoff, attempt: number, random: () => number = Math.random): number {
  const base = Math.min(backoff.max, backoff.min * 2 ** Math.min(attempt, 52));
  const spread = base * backoff.jitter * (random() * 2 - 1);
  return Math.max(0, Math.min(backoff.max, Math.round(base + spread)));
}

/** Has the child run long enough since its last (re)start to forget earlier failures? */
export function backoffExpired(backoff: Backoff, startedAt: number, now = Date.now()): boolean {
  return now - startedAt >= backoff.min;
}
