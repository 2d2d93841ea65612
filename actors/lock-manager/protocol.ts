/**
 * The lock manager's protocol, shared by the manager (this folder) and the primitives' handles
 * (src/multiprocessing/synchronize/): the SharedArrayBuffer layout of each primitive, the lock
 * state-word protocol both sides follow, the holder-name slot, and the manager's messages.
 *
 * Lock state word (Int32 `STATE`) = (token << 2) | H | C, where token 0 = free, 1 = POISON (free,
 * but its last holder died: the next acquirer must hear it from the manager), >= 2 = held by that
 * caller (2 is main-thread script code). C: the manager has queued waiters, so release goes
 * through it. H: the holder released while C was set; the manager picks the next owner.
 * INVARIANT: outside the manager a thread only ever makes 0 → token (fast acquire), token → 0
 * (release without C) and token|C → token|C|H (release with C); every other transition (granting
 * to a waiter, setting or clearing C, abandoning a dead holder's lock) is made by the manager, the
 * single thread that also owns the waiter queue. So C set ⇔ waiters queued, no fast acquire can
 * overtake a queued waiter (FIFO), and a released or dead holder's lock always reaches a waiter.
 * PARK (futex-style spin before queueing): while no waiter is queued, one contender may hold the
 * PARK slot (its token) and wait (on WAKE) with Atomics.waitAsync for a bounded time; a release that
 * frees the word notifies it, so a handoff between two threads needs no message. It leaves the
 * slot (and queues at the manager, at the head: it came first) as soon as it sees C.
 */
import type { DownMessage } from '../../src/types.js';

// ---- state word ------------------------------------------------------------------------------

/** contended: the manager has waiters; a release must hand the lock back through it */
export const C = 1;
/** handed back: the holder released while contended; the manager passes the lock on */
export const H = 2;
export const SHIFT = 2;
/** token of a free lock whose last holder died without releasing it */
export const POISON = 1;
/** token of main-thread script code (no actor or Process) */
export const MAIN_TOKEN = 2;
export const MAIN_NAME = 'MainProcess';

/** The holder token in a state word. */
export function ownerOf(state: number): number {
  return state >>> SHIFT;
}

/** Held by someone (not free, poisoned or handed back). */
export function isHeld(state: number): boolean {
  return state >>> SHIFT >= MAIN_TOKEN && (state & H) === 0;
}

/**
 * How long a contender waits in shared memory before it queues at the manager (ms): like a futex,
 * long runs by one holder are cheap (one notify per sleep of the parked contender); past this
 * bound the contender queues and the manager's FIFO makes it next, so nobody starves longer.
 */
export const PARK_MS = 100;

// ---- layouts (Int32 word indexes) -------------------------------------------------------------

/** Lock and RLock. */
export const LOCK = {
  STATE: 0,
  /** RLock recursion level of the holder */
  COUNT: 1,
  /** 1 when the current grant followed the death of the previous holder */
  ABANDONED: 2,
  /** token whose name is in the name bytes (0 while being written) */
  NAME_TOKEN: 3,
  NAME_LEN: 4,
  /** token of the one contender waiting in shared memory, on WAKE (0: none) */
  PARK: 5,
  /**
   * 1 once a release (or the manager) has woken the parked contender since it last went to sleep:
   * a holder that re-takes the lock at once (long runs, as with a futex) pays one notify per sleep,
   * not per release. The contender waits on this word, not on STATE: a holder that released and
   * re-took the lock between the contender's read and its wait leaves STATE as it was, and that
   * wake-up was lost (it slept out PARK_MS).
   */
  WAKE: 6,
  NAME_OFFSET: 32,
  NAME_BYTES: 96,
  BYTES: 128,
} as const;

/** Semaphore: available permits and the manager's waiter count. */
export const SEM = { VALUE: 0, WAITERS: 1, BYTES: 8 } as const;
/** Event: the flag and the manager's waiter count. */
export const EVENT = { FLAG: 0, WAITERS: 1, BYTES: 8 } as const;
/** Condition: the manager's count of waiters not yet notified. */
export const COND = { WAITERS: 0, BYTES: 4 } as const;
/** Barrier: parties waiting now, and the broken flag. */
export const BARRIER = { COUNT: 0, BROKEN: 1, BYTES: 8 } as const;

// ---- holder names ---------------------------------------------------------------------------------

const encoder = new TextEncoder();

/** The bytes of a holder name as stored in a lock's name slot (truncated to fit). */
export function nameBytes(name: string): Uint8Array {
  const bytes = encoder.encode(name);
  return bytes.length <= LOCK.NAME_BYTES ? bytes : bytes.slice(0, LOCK.NAME_BYTES);
}

/** Publishes the holder's name; a reader never sees a half-written one (NAME_TOKEN is 0 meanwhile). */
export function writeName(words: Int32Array, bytes: Uint8Array, token: number, name: Uint8Array): void {
  Atomics.store(words, LOCK.NAME_TOKEN, 0);
  bytes.set(name, LOCK.NAME_OFFSET);
  Atomics.store(words, LOCK.NAME_LEN, name.length);
  Atomics.store(words, LOCK.NAME_TOKEN, token);
}

// ---- messages -----------------------------------------------------------------------------------

/** The manager's registered name in every system. */
export const MANAGER_NAME = 'troupe.lock-manager';

/** ms, or null: wait forever */
export type Wait = number | null;

/** A lock as the manager needs to know it (sent with every message that may create its entry). */
export interface LockDesc {
  id: string;
  sab: SharedArrayBuffer;
  recursive: boolean;
  throwOnAbandoned: boolean;
}

/** Reply to `token`: the caller's token and the name its locks show as `owner`. */
export interface TokenReply {
  token: number;
  name: string;
}

/** Reply to `lock.acquire`. */
export interface AcquireReply {
  ok: boolean;
  abandoned: boolean;
}

/** Reply to `cond.wait` (the lock is held again when it arrives). */
export interface CondReply {
  notified: boolean;
  abandoned: boolean;
}

/** Reply to `barrier.wait`: the arrival index; the last party runs the action when told to. */
export interface BarrierReply {
  index: number;
  runAction: boolean;
}

export type LockAcquire = { type: 'lock.acquire'; lock: LockDesc; token: number; timeout: Wait; nowait: boolean; early?: boolean };
export type SemAcquire = { type: 'sem.acquire'; id: string; sab: SharedArrayBuffer; initial: number; token: number; timeout: Wait; nowait: boolean };
export type SemRelease = { type: 'sem.release'; id: string; sab: SharedArrayBuffer; initial: number; token: number };
export type EventWait = { type: 'event.wait'; id: string; sab: SharedArrayBuffer; token: number; timeout: Wait };
export type CondWait = { type: 'cond.wait'; id: string; sab: SharedArrayBuffer; lock: LockDesc; token: number; timeout: Wait };
export type BarrierWait = { type: 'barrier.wait'; id: string; sab: SharedArrayBuffer; parties: number; token: number; timeout: Wait; hasAction: boolean };
export type BarrierControl = { type: 'barrier.abort' | 'barrier.reset'; id: string; sab: SharedArrayBuffer; parties: number };

export type ManagerMessage =
  | { type: 'token'; key: string }
  | LockAcquire
  | { type: 'lock.release'; id: string }
  | { type: 'lock.known'; lock: LockDesc; weak: boolean }
  | SemAcquire
  | SemRelease
  | EventWait
  | { type: 'event.set'; id: string }
  | CondWait
  | { type: 'cond.notify'; id: string; n: number }
  | BarrierWait
  | { type: 'barrier.actionDone'; id: string; ok: boolean }
  | { type: 'barrier.abort'; id: string; sab: SharedArrayBuffer; parties: number }
  | { type: 'barrier.reset'; id: string; sab: SharedArrayBuffer; parties: number }
  | { type: 'hostDown'; site: number }
  | DownMessage;
