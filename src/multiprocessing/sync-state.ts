/**
 * Shared memory and plumbing behind the synchronisation primitives (DESIGN §4.4): the
 * SharedArrayBuffer layout of each kind, the lock state-word protocol that the handles (fast path)
 * and the lock-manager actor (slow path) both follow, holder tokens, the owner-name slot, and the
 * way a handle on any thread reaches the one manager in main.
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
 * PARK slot (its token) and wait on STATE with Atomics.waitAsync for a bounded time; a release that
 * frees the word notifies it, so a handoff between two threads needs no message. It leaves the
 * slot (and queues at the manager, at the head: it came first) as soon as it sees C.
 */
import { currentRuntime, inWorker } from '../kernel-call.js';
import { NoProcError, NameTakenError } from '../errors.js';
import type { Runtime } from '../runtime.js';
import type { ActorRef } from '../types.js';

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

/** How long a contender waits in shared memory before it queues at the manager (ms). */
export const PARK_MS = 5;

type WaitAsync = (
  array: Int32Array,
  index: number,
  value: number,
  timeout?: number,
) => { async: false; value: 'not-equal' | 'timed-out' } | { async: true; value: Promise<'ok' | 'timed-out'> };

/** Atomics.waitAsync (Node >= 16; not yet in TypeScript's ES2023 lib). */
export const waitAsync: WaitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;

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
  /** token of the one contender waiting on STATE in shared memory (0: none) */
  PARK: 5,
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

// ---- owner names ---------------------------------------------------------------------------------

const encoder = new TextEncoder();
const decoder = new TextDecoder();

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

/** The name of the current holder of a lock, or null when it is free. */
export function readOwner(words: Int32Array, bytes: Uint8Array): string | null {
  const names = threadState().names;
  for (let attempt = 0; attempt < 1000; attempt++) {
    const state = Atomics.load(words, LOCK.STATE);
    if (!isHeld(state)) return null;
    const token = ownerOf(state);
    const known = names.get(token);
    if (known !== undefined) return known;
    if (Atomics.load(words, LOCK.NAME_TOKEN) !== token) continue;
    const length = Atomics.load(words, LOCK.NAME_LEN);
    const name = decoder.decode(bytes.slice(LOCK.NAME_OFFSET, LOCK.NAME_OFFSET + length));
    if (Atomics.load(words, LOCK.NAME_TOKEN) !== token || Atomics.load(words, LOCK.STATE) !== state) continue;
    names.set(token, name);
    return name;
  }
  // the holder was stopped between taking the lock and naming itself; the manager will clear it
  return `holder-${ownerOf(Atomics.load(words, LOCK.STATE))}`;
}

// ---- holder tokens ---------------------------------------------------------------------------------

/** A caller (actor, Process, main script or worker-level code) as the lock words know it. */
export interface TokenInfo {
  readonly token: number;
  readonly name: string;
  readonly bytes: Uint8Array;
}

/** Per-thread state, behind a globalThis slot so every copy of troupe in the thread shares it. */
interface ThreadState {
  runtime: Runtime;
  tokens: Map<string, TokenInfo>;
  pending: Map<string, Promise<TokenInfo>>;
  names: Map<number, string>;
  /** permits held per `${semaphore id}:${token}`, to know when a release must tell the manager */
  held: Map<string, number>;
  manager: ActorRef | undefined;
}

const SLOT = Symbol.for('troupe.sync.thread');
type Slots = Record<symbol, ThreadState | undefined>;

const MAIN_INFO: TokenInfo = { token: MAIN_TOKEN, name: MAIN_NAME, bytes: nameBytes(MAIN_NAME) };

/** This thread's state; reset when the main thread's default system was replaced. */
export function threadState(): ThreadState {
  const runtime = currentRuntime();
  const slots = globalThis as unknown as Slots;
  let state = slots[SLOT];
  if (state === undefined || state.runtime !== runtime) {
    state = {
      runtime,
      tokens: new Map([['main', MAIN_INFO]]),
      pending: new Map(),
      names: new Map([[MAIN_TOKEN, MAIN_NAME]]),
      held: new Map(),
      manager: undefined,
    };
    slots[SLOT] = state;
  }
  return state;
}

/** Who the current code runs for: the actor or Process id, else `main` / `host:<site>`. */
export function callerKey(state: ThreadState): string {
  const id = state.runtime.currentSender();
  if (id !== undefined) return id;
  return state.runtime.site === 0 ? 'main' : `host:${state.runtime.site}`;
}

/** The caller's token if this thread already has it (the fast path needs nothing else). */
export function cachedToken(): TokenInfo | undefined {
  const state = threadState();
  return state.tokens.get(callerKey(state));
}

/** The caller's token, asking the manager for one the first time this caller uses a primitive. */
export function tokenInfo(): TokenInfo | Promise<TokenInfo> {
  const state = threadState();
  const key = callerKey(state);
  const known = state.tokens.get(key);
  if (known !== undefined) return known;
  let pending = state.pending.get(key);
  if (pending === undefined) {
    pending = requestToken(state, key).finally(() => state.pending.delete(key));
    state.pending.set(key, pending);
  }
  return pending;
}

/** Reply of the manager's `token` message. */
export interface TokenReply {
  token: number;
  name: string;
}

async function requestToken(state: ThreadState, key: string): Promise<TokenInfo> {
  let reply: TokenReply;
  try {
    reply = await managerAsk<TokenReply>({ type: 'token', id: key });
  } catch (error) {
    if (!(error instanceof NoProcError) || !inWorker()) throw error;
    await hooks.startFromWorker?.();
    reply = await managerAsk<TokenReply>({ type: 'token', id: key });
  }
  const info: TokenInfo = { token: reply.token, name: reply.name, bytes: nameBytes(reply.name) };
  state.tokens.set(key, info);
  state.names.set(info.token, info.name);
  return info;
}

/** Permits of semaphore `id` the token holds, as seen from this thread. */
export function heldCount(id: string, token: number): number {
  return threadState().held.get(`${id}:${token}`) ?? 0;
}

export function addHeld(id: string, token: number, delta: number): void {
  const held = threadState().held;
  const key = `${id}:${token}`;
  const next = (held.get(key) ?? 0) + delta;
  if (next > 0) held.set(key, next);
  else held.delete(key);
}

// ---- reaching the manager ----------------------------------------------------------------------------

export const MANAGER_NAME = 'troupe.lock-manager';

/** Set by synchronize.ts, which knows the manager's definition (src/ does not import actors/). */
export const hooks: {
  /** main thread: the manager of the default system, spawned on first use */
  mainManager?: () => ActorRef;
  /** worker: asks main to spawn the manager when no main-thread code has touched a primitive yet */
  startFromWorker?: () => Promise<void>;
} = {};

export function managerRef(): ActorRef {
  const state = threadState();
  if (state.manager !== undefined) return state.manager;
  const ref = state.runtime.site === 0 ? hooks.mainManager!() : state.runtime.ref(`name:${MANAGER_NAME}`, MANAGER_NAME);
  state.manager = ref;
  return ref;
}

/** Fire and forget (sync callers: release, set, notify, abort, reset). */
export function managerSend(message: ManagerMessage): void {
  managerRef().send(message);
}

/** Waits as long as the manager says (it owns the timeouts); rejects if it is gone. */
export function managerAsk<R>(message: ManagerMessage): Promise<R> {
  return managerRef().ask<R>(message, { timeout: Infinity });
}

/** Swallows NameTakenError: another thread started the manager first. */
export function ignoreNameTaken(error: unknown): void {
  if (!(error instanceof NameTakenError) && (error as Error)?.name !== 'NameTakenError') throw error;
}

// ---- the manager protocol (one message shape per type) -------------------------------------------------

/** A lock as the manager needs to know it (sent with every message that may create its entry). */
export interface LockDesc {
  id: string;
  sab: SharedArrayBuffer;
  recursive: boolean;
  throwOnAbandoned: boolean;
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

/** ms, or null: wait forever */
export type Wait = number | null;

export type ManagerMessage =
  | { type: 'token'; id: string }
  | { type: 'lock.acquire'; lock: LockDesc; tok: number; timeout: Wait; nowait: boolean; early?: boolean }
  | { type: 'lock.release'; id: string }
  | { type: 'sem.acquire'; id: string; sab: SharedArrayBuffer; initial: number; tok: number; timeout: Wait; nowait: boolean }
  | { type: 'sem.release'; id: string; sab: SharedArrayBuffer; initial: number; tok: number }
  | { type: 'event.wait'; id: string; sab: SharedArrayBuffer; tok: number; timeout: Wait }
  | { type: 'event.set'; id: string }
  | { type: 'cond.wait'; id: string; sab: SharedArrayBuffer; lock: LockDesc; tok: number; timeout: Wait }
  | { type: 'cond.notify'; id: string; n: number }
  | { type: 'barrier.wait'; id: string; sab: SharedArrayBuffer; parties: number; tok: number; timeout: Wait; hasAction: boolean }
  | { type: 'barrier.actionDone'; id: string; ok: boolean }
  | { type: 'barrier.abort'; id: string; sab: SharedArrayBuffer; parties: number }
  | { type: 'barrier.reset'; id: string; sab: SharedArrayBuffer; parties: number };
