/**
 * How a primitive's handle, on any thread, talks to the lock manager that owns it (the manager of
 * the system that made it: handles carry its id, so they work in any system): the caller's token
 * at that manager (asked once per caller and manager, cached per thread), the holder names read
 * from a lock's shared slot, the permits this thread's callers hold, and the option parsing every
 * primitive shares. Per-thread state sits behind a globalThis slot, shared by every troupe copy.
 */
import { LOCK, MAIN_NAME, MAIN_TOKEN, isHeld, nameBytes, ownerOf, type TokenReply, type Wait } from '../../../actors/lock-manager/protocol.js';
import { LOCK_MANAGER } from '../../../actors/lock-manager/manager.js';
import { mainSystem } from '../../default-system.js';
import { ValueError } from '../../errors.js';
import { describe } from '../../describe.js';
import { currentRuntime, extensionCall, inWorker } from '../../kernel-call.js';
import type { Runtime } from '../../runtime.js';

/** A caller (actor, Process, main script or worker-level code) as the lock words know it. */
export interface TokenInfo {
  readonly token: number;
  readonly name: string;
  readonly bytes: Uint8Array;
}

interface ThreadState {
  runtime: Runtime;
  /** caller → manager → token */
  tokens: Map<string, Map<string, TokenInfo>>;
  pending: Map<string, Promise<TokenInfo>>;
  names: Map<number, string>;
  /** permits held per `${semaphore id}:${token}`, to know when a release must tell the manager */
  held: Map<string, number>;
  /** this thread's system's manager (in a worker: asked from main once) */
  manager: string | Promise<string> | undefined;
}

const SLOT = Symbol.for('troupe.sync.thread');
type Slots = Record<symbol, ThreadState | undefined>;

const MAIN_INFO: TokenInfo = { token: MAIN_TOKEN, name: MAIN_NAME, bytes: nameBytes(MAIN_NAME) };

/** This thread's state; reset when the thread's runtime changed (a new default system in main). */
export function threadState(): ThreadState {
  const runtime = currentRuntime();
  const slots = globalThis as unknown as Slots;
  let state = slots[SLOT];
  if (state === undefined || state.runtime !== runtime) {
    state = { runtime, tokens: new Map(), pending: new Map(), names: new Map([[MAIN_TOKEN, MAIN_NAME]]), held: new Map(), manager: undefined };
    slots[SLOT] = state;
  }
  return state;
}

/** The manager new primitives of this thread belong to (its system's); in a worker maybe not known yet. */
export function localManager(): string | undefined {
  const state = threadState();
  if (typeof state.manager === 'string') return state.manager;
  if (!inWorker()) return (state.manager = mainSystem().extension(LOCK_MANAGER).ref.id);
  const known = state.runtime.system.get('troupe.lock-manager');
  if (known) return (state.manager = known.id);
  // not in this host's name table yet: ask main (in order with everything this thread sends)
  state.manager ??= extensionCall(LOCK_MANAGER, 'manager', []).then((id) => (state.manager = id as string));
  return undefined;
}

/** Resolves the manager of a handle made before its thread knew its manager. */
export async function managerOf(mgr: string | undefined): Promise<string> {
  if (mgr !== undefined) return mgr;
  const known = localManager();
  if (known !== undefined) return known;
  return threadState().manager as Promise<string>;
}

/** Who the current code runs for: the actor or Process id, else `main` / `host:<site>`. */
export function callerKey(state: ThreadState): string {
  const id = state.runtime.currentSender();
  if (id !== undefined) return id;
  return inWorker() ? `host:${state.runtime.site}` : 'main';
}

/** The caller's token at `mgr` if this thread already has it (the fast path needs nothing else). */
export function cachedToken(mgr: string | undefined): TokenInfo | undefined {
  // a loop of acquire/release asks this every time: the last answer is remembered
  const runtime = currentRuntime();
  const id = runtime.currentSender();
  if (last.runtime === runtime && last.id === id && last.mgr === mgr) return last.info;
  const state = threadState();
  const key = id ?? (inWorker() ? `host:${runtime.site}` : 'main');
  const info = key === 'main' ? MAIN_INFO : mgr === undefined ? undefined : state.tokens.get(key)?.get(mgr);
  if (info !== undefined) {
    last.runtime = runtime;
    last.id = id;
    last.mgr = mgr;
    last.info = info;
  }
  return info;
}

/** The last cachedToken() answer: a token never changes for its caller, manager and runtime. */
const last: { runtime: Runtime | undefined; id: string | undefined; mgr: string | undefined; info: TokenInfo | undefined } = {
  runtime: undefined,
  id: undefined,
  mgr: undefined,
  info: undefined,
};

/** The caller's token at `mgr`, asking the manager for one the first time this caller uses it. */
export function tokenInfo(mgr: string | undefined): TokenInfo | Promise<TokenInfo> {
  const known = cachedToken(mgr);
  if (known !== undefined) return known;
  const state = threadState();
  const key = callerKey(state);
  const slot = `${mgr ?? '?'}|${key}`;
  let pending = state.pending.get(slot);
  if (pending === undefined) {
    pending = requestToken(state, mgr, key).finally(() => state.pending.delete(slot));
    state.pending.set(slot, pending);
  }
  return pending;
}

async function requestToken(state: ThreadState, mgr: string | undefined, key: string): Promise<TokenInfo> {
  const manager = await managerOf(mgr);
  const reply = await managerAsk<TokenReply>(manager, { type: 'token', key });
  const info: TokenInfo = { token: reply.token, name: reply.name, bytes: nameBytes(reply.name) };
  let byManager = state.tokens.get(key);
  if (!byManager) state.tokens.set(key, (byManager = new Map()));
  byManager.set(manager, info);
  state.names.set(info.token, info.name);
  return info;
}

/** Fire and forget (sync callers: release, set, notify, abort, reset), in order with this thread's sends. */
export function managerSend(mgr: string | undefined, message: object): void {
  const runtime = threadState().runtime;
  const sender = runtime.currentSender();
  const id = mgr ?? localManager();
  if (id !== undefined) return runtime.send(id, message, sender);
  void managerOf(undefined).then((known) => runtime.send(known, message, sender));
}

/** Waits as long as the manager says (it owns the timeouts); rejects if it is gone. */
export function managerAsk<R>(mgr: string, message: object): Promise<R> {
  const runtime = threadState().runtime;
  return runtime.ask(mgr, message, Infinity, runtime.currentSender()) as Promise<R>;
}

/**
 * Sends everything this thread has buffered before a primitive publishes through shared memory
 * (a release, Event.set, notify...): what was sent before is in its queue or pipe before anyone
 * can see the lock free or the event set (DESIGN §1, causal order per thread).
 */
export function publish(): void {
  currentRuntime().flushOut();
}

// ---- holder names -------------------------------------------------------------------------------

const decoder = new TextDecoder();

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

// ---- semaphore permits held by this thread's callers -----------------------------------------------

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

// ---- options ------------------------------------------------------------------------------------

/** `block` (default true) and `timeout` in ms (null/undefined: forever). */
export interface AcquireOptions {
  block?: boolean;
  timeout?: number | null;
}

export { describe };

/** A timeout in ms: null waits forever; negative means 0 (Python returns at once). */
export function parseWait(timeout: unknown, what: string): Wait {
  if (timeout === null || timeout === undefined || timeout === Infinity) return null;
  if (typeof timeout !== 'number' || Number.isNaN(timeout)) {
    throw new ValueError(`${what}: timeout must be a number of milliseconds, or null to wait forever (got ${describe(timeout)})`);
  }
  return Math.max(0, timeout);
}

export function parseAcquire(options: unknown, what: string): { block: boolean; timeout: Wait } {
  if (options === undefined || options === null) return { block: true, timeout: null };
  if (typeof options !== 'object') throw new ValueError(`${what}(options) takes { block?, timeout? } (got ${describe(options)})`);
  const { block = true, timeout } = options as AcquireOptions;
  if (typeof block !== 'boolean') throw new ValueError(`${what}: block must be a boolean (got ${describe(block)})`);
  return { block, timeout: parseWait(timeout, what) };
}

export function checkFn(fn: unknown, what: string): void {
  if (typeof fn !== 'function') throw new ValueError(`${what} needs a function (got ${describe(fn)})`);
}

/** Atomics.waitAsync (Node >= 16; not yet in TypeScript's ES2023 lib). */
type WaitAsync = (
  array: Int32Array,
  index: number,
  value: number,
  timeout?: number,
) => { async: false; value: 'not-equal' | 'timed-out' } | { async: true; value: Promise<'ok' | 'timed-out'> };
export const waitAsync: WaitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;
