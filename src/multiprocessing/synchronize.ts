/**
 * Python's synchronisation primitives (DESIGN §4.4): Lock, RLock, Semaphore, BoundedSemaphore,
 * Event, Condition and Barrier. Each is a handle on a SharedArrayBuffer that travels to any thread;
 * what never waits (release, set, notify, abort, reset, the getters) is sync. A free Lock/RLock is
 * taken and freed with one compare-and-swap, and one contender waits for it in shared memory; the
 * rest (queued waiters, timeouts, semaphore permits, conditions, barriers, and robustness: a dead
 * holder's lock passes on flagged `abandoned`) is the lock-manager actor's, in main.
 */
import { nanoid } from 'nanoid';
import { LockManager } from '../../actors/lock-manager.js';
import { mainSystem } from '../default-system.js';
import { BrokenBarrierError, RuntimeError, ValueError } from '../errors.js';
import { registerHandle } from '../handles.js';
import { currentHost } from '../hosts/host-worker.js';
import { load } from '../hosts/load.js';
import { inWorker } from '../kernel-call.js';
import { locateTarget } from '../target.js';
import type { Locator } from '../define.js';
import {
  BARRIER,
  C,
  COND,
  EVENT,
  H,
  LOCK,
  MANAGER_NAME,
  PARK_MS,
  SEM,
  SHIFT,
  addHeld,
  cachedToken,
  heldCount,
  hooks,
  ignoreNameTaken,
  isHeld,
  managerAsk,
  managerRef,
  managerSend,
  ownerOf,
  readOwner,
  tokenInfo,
  waitAsync,
  writeName,
  type AcquireReply,
  type BarrierReply,
  type CondReply,
  type LockDesc,
  type TokenInfo,
  type Wait,
} from './sync-state.js';

hooks.mainManager = () => {
  const system = mainSystem();
  const existing = system.get(MANAGER_NAME);
  if (existing !== undefined) return existing;
  // A main-placed actor with a sync init is registered before spawn() returns.
  system.spawn(LockManager, { placement: 'main', name: MANAGER_NAME }).catch((error: unknown) => {
    try {
      ignoreNameTaken(error);
    } catch {
      system.log.error({ err: error }, 'could not start the lock manager');
    }
  });
  return system.get(MANAGER_NAME) ?? system.ref(`name:${MANAGER_NAME}`);
};

hooks.startFromWorker = async () => {
  await currentHost()!.system.spawn(LockManager, { placement: 'main', name: MANAGER_NAME }).catch(ignoreNameTaken);
};

/** `block` (default true) and `timeout` in ms (null/undefined: forever). */
export interface AcquireOptions {
  block?: boolean;
  timeout?: number | null;
}

const TRUE = Promise.resolve(true);

function describe(value: unknown): string {
  return value === null ? 'null' : typeof value === 'object' ? (value.constructor?.name ?? 'object') : `${typeof value} ${String(value)}`;
}

function parseWait(timeout: unknown, what: string): Wait {
  if (timeout === null || timeout === undefined || timeout === Infinity) return null;
  if (typeof timeout !== 'number' || Number.isNaN(timeout)) {
    throw new ValueError(`${what}: timeout must be a number of milliseconds, or null to wait forever (got ${describe(timeout)})`);
  }
  return Math.max(0, timeout);
}

function parseAcquire(options: unknown, what: string): { block: boolean; timeout: Wait } {
  if (options === undefined || options === null) return { block: true, timeout: null };
  if (typeof options !== 'object') throw new ValueError(`${what}(options) takes { block?, timeout? } (got ${describe(options)})`);
  const { block = true, timeout } = options as AcquireOptions;
  if (typeof block !== 'boolean') throw new ValueError(`${what}: block must be a boolean (got ${describe(block)})`);
  return { block, timeout: parseWait(timeout, what) };
}

function checkFn(fn: unknown, what: string): void {
  if (typeof fn !== 'function') throw new ValueError(`${what} needs a function (got ${describe(fn)})`);
}

/** withLock for locks and semaphores: acquire as the caller, run `fn`, release however it ends. */
async function holding<R>(acquire: () => Promise<unknown>, releaseAs: (token: number) => void, fn: () => R | Promise<R>): Promise<R> {
  checkFn(fn, 'withLock(fn)');
  const token = tokenInfo();
  await acquire();
  const me = await token;
  try {
    return await fn();
  } finally {
    releaseAs(me.token);
  }
}

/** The data a revived handle is built from (the constructors read it instead of their arguments). */
type HandleData = Record<string, any>;
let reviving: HandleData | undefined;

function takeReviving(): HandleData | undefined {
  const data = reviving;
  reviving = undefined;
  return data;
}

function revive<T>(data: HandleData, make: () => T): T {
  reviving = data;
  try {
    return make();
  } finally {
    reviving = undefined;
  }
}

/** Creates the shared state of a new primitive, and makes sure main has a manager for it. */
function fresh(bytes: number): { id: string; sab: SharedArrayBuffer } {
  if (!inWorker()) managerRef();
  return { id: nanoid(), sab: new SharedArrayBuffer(bytes) };
}

// Internal protocol between Condition and its lock (Symbol.for: shared by every troupe copy).
const DESC = Symbol.for('troupe.sync.lockDesc');
const MINE = Symbol.for('troupe.sync.isMine');
const LEVEL = Symbol.for('troupe.sync.level');
const RELEASE_AS = Symbol.for('troupe.sync.releaseAs');

/** What Lock and RLock share: the state word, the fast paths, and the manager's slow path. */
abstract class Mutex {
  readonly __troupe: string;
  readonly id: string;
  readonly sab: SharedArrayBuffer;
  readonly throwOnAbandoned: boolean;
  readonly #words: Int32Array;
  readonly #bytes: Uint8Array;
  readonly #recursive: boolean;

  constructor(kind: 'sync.Lock' | 'sync.RLock', options: { onAbandoned?: 'throw' | 'flag' } | undefined) {
    const from = takeReviving();
    if (options !== undefined && (typeof options !== 'object' || options === null)) {
      throw new ValueError(`${kind.slice(5)}(options) takes { onAbandoned?: 'throw' } (got ${describe(options)})`);
    }
    const onAbandoned = options?.onAbandoned;
    if (onAbandoned !== undefined && onAbandoned !== 'throw' && onAbandoned !== 'flag') {
      throw new ValueError(`onAbandoned must be 'throw' or 'flag' (got ${describe(onAbandoned)})`);
    }
    const { id, sab } = from ?? fresh(LOCK.BYTES);
    this.__troupe = kind;
    this.id = id;
    this.sab = sab;
    this.throwOnAbandoned = from ? from.throwOnAbandoned === true : onAbandoned === 'throw';
    this.#words = new Int32Array(sab);
    this.#bytes = new Uint8Array(sab);
    this.#recursive = kind === 'sync.RLock';
  }

  /**
   * Resolves true once held (false if `block: false` or the timeout passed first). Rejects
   * AbandonedLockError when the previous holder died and the lock was made with onAbandoned 'throw'.
   */
  acquire(options?: AcquireOptions): Promise<boolean> {
    if (options !== undefined) {
      try {
        parseAcquire(options, 'acquire');
      } catch (error) {
        return Promise.reject(error);
      }
    }
    const me = cachedToken();
    if (me !== undefined && this.#tryFast(me)) return TRUE;
    return this.#acquireSlow(options, tokenInfo());
  }

  #tryFast(me: TokenInfo): boolean {
    const words = this.#words;
    if (Atomics.compareExchange(words, LOCK.STATE, 0, me.token << SHIFT) === 0) {
      if (this.#recursive) Atomics.store(words, LOCK.COUNT, 1);
      if (words[LOCK.ABANDONED] !== 0) Atomics.store(words, LOCK.ABANDONED, 0);
      if (Atomics.load(words, LOCK.NAME_TOKEN) !== me.token) writeName(words, this.#bytes, me.token, me.bytes);
      return true;
    }
    if (this.#recursive && this[MINE](me.token)) {
      Atomics.add(words, LOCK.COUNT, 1);
      return true;
    }
    return false;
  }

  async #acquireSlow(options: AcquireOptions | undefined, token: TokenInfo | Promise<TokenInfo>): Promise<boolean> {
    const { block, timeout } = parseAcquire(options, 'acquire');
    const me = await token;
    if (this.#tryFast(me)) return true;
    let wait = timeout;
    let early = false;
    if (block && timeout !== 0) {
      const started = performance.now();
      const parked = await this.#park(me, timeout === null ? PARK_MS : Math.min(PARK_MS, timeout));
      if (parked === 'acquired') return true;
      early = parked === 'parked';
      if (timeout !== null) wait = Math.max(0, timeout - (performance.now() - started));
    }
    const reply = await managerAsk<AcquireReply>({
      type: 'lock.acquire',
      lock: this[DESC](),
      tok: me.token,
      timeout: wait,
      nowait: !block || wait === 0,
      early,
    });
    return reply.ok;
  }

  /**
   * Waits in shared memory (no message) for the holder to free the lock, for up to `ms`, unless
   * waiters are queued or another contender is parked already ('busy'). 'parked': it gave up
   * (waiters queued meanwhile, the holder died, or time is up) still holding the park slot, which
   * reserves the head of the manager's queue until its `early` request arrives there.
   */
  async #park(me: TokenInfo, ms: number): Promise<'acquired' | 'parked' | 'busy'> {
    const words = this.#words;
    if ((Atomics.load(words, LOCK.STATE) & C) !== 0) return 'busy';
    if (Atomics.compareExchange(words, LOCK.PARK, 0, me.token) !== 0) return 'busy';
    const deadline = performance.now() + ms;
    // Atomics.waitAsync alone does not keep a thread alive (a worker's control port does)
    const alive = inWorker() ? undefined : setTimeout(() => {}, ms);
    try {
      for (;;) {
        const state = Atomics.load(words, LOCK.STATE);
        if (state === 0) {
          if (!this.#tryFast(me)) continue;
          Atomics.compareExchange(words, LOCK.PARK, me.token, 0);
          return 'acquired';
        }
        const left = deadline - performance.now();
        if ((state & C) !== 0 || !isHeld(state) || left <= 0) return 'parked';
        const result = waitAsync(words, LOCK.STATE, state, left);
        if (result.async) await result.value;
      }
    } finally {
      clearTimeout(alive);
    }
  }

  /** Sync. Lock: any caller may release (Python); RLock: only the holder, once per acquire. */
  release(): void {
    this[RELEASE_AS](this.#recursive ? cachedToken()?.token : undefined);
  }

  [RELEASE_AS](token: number | undefined): void {
    const words = this.#words;
    if (this.#recursive) {
      if (token === undefined || !this[MINE](token)) {
        throw new RuntimeError(
          `cannot release an RLock this caller does not hold (held by ${this.owner ?? 'nobody'}); only the caller that acquired it may release it`,
        );
      }
      const level = Atomics.load(words, LOCK.COUNT);
      if (level > 1) {
        Atomics.store(words, LOCK.COUNT, level - 1);
        return;
      }
      Atomics.store(words, LOCK.COUNT, 0);
    }
    for (;;) {
      const state = Atomics.load(words, LOCK.STATE);
      if (!isHeld(state)) throw new ValueError('release() of an unlocked Lock: acquire() it first (each acquire() is matched by one release())');
      if ((state & C) === 0) {
        if (Atomics.compareExchange(words, LOCK.STATE, state, 0) === state) {
          if (Atomics.load(words, LOCK.PARK) !== 0) Atomics.notify(words, LOCK.STATE, 1);
          return;
        }
      } else if (Atomics.compareExchange(words, LOCK.STATE, state, state | H) === state) {
        managerSend({ type: 'lock.release', id: this.id });
        return;
      }
    }
  }

  /** Sync snapshot: whether some caller holds the lock. */
  locked(): boolean {
    return isHeld(Atomics.load(this.#words, LOCK.STATE));
  }

  /** The holder's process name (`MainProcess`, `Process-1`, an actor's name), or null when free. */
  get owner(): string | null {
    return readOwner(this.#words, this.#bytes);
  }

  /** True when the current grant followed the death of the previous holder (robust-mutex). */
  get abandoned(): boolean {
    return Atomics.load(this.#words, LOCK.ABANDONED) === 1;
  }

  /** Runs `fn` holding the lock, releasing it however `fn` ends. */
  withLock<R>(fn: () => R | Promise<R>): Promise<R> {
    return holding(() => this.acquire(), (token) => this[RELEASE_AS](token), fn);
  }

  /** `await lock.acquire(); await using _ = lock;` releases it at the end of the scope. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.release();
  }

  [DESC](): LockDesc {
    return { id: this.id, sab: this.sab, recursive: this.#recursive, throwOnAbandoned: this.throwOnAbandoned };
  }

  [MINE](token: number): boolean {
    const state = Atomics.load(this.#words, LOCK.STATE);
    return ownerOf(state) === token && (state & H) === 0;
  }

  /** the recursion level to restore after a Condition wait */
  [LEVEL](level?: number): number {
    if (level !== undefined && this.#recursive) Atomics.store(this.#words, LOCK.COUNT, level);
    return this.#recursive ? Atomics.load(this.#words, LOCK.COUNT) : 1;
  }
}

/**
 * A mutual-exclusion lock shared by every process, actor and thread it is passed to. Robust: if
 * its holder dies the next waiter gets it with `abandoned === true` (or, with
 * `{ onAbandoned: 'throw' }`, an AbandonedLockError).
 *
 * @example await lock.withLock(() => console.log('one at a time'));
 */
export class Lock extends Mutex {
  constructor(options?: { onAbandoned?: 'throw' | 'flag' }) {
    super('sync.Lock', options);
  }
}

/** A reentrant lock: its holder may acquire it again; it is free after as many release() calls. */
export class RLock extends Mutex {
  constructor(options?: { onAbandoned?: 'throw' | 'flag' }) {
    super('sync.RLock', options);
  }

  /** The holder's recursion level; 0 when free. */
  get count(): number {
    return this.locked() ? this[LEVEL]() : 0;
  }
}

/**
 * A counting semaphore. Permits taken by a process that dies are returned (up to the initial
 * value, so a semaphore used as a signal counter never gains permits nobody released).
 */
export class Semaphore {
  readonly __troupe: string;
  readonly id: string;
  readonly sab: SharedArrayBuffer;
  /** the initial value (BoundedSemaphore: also the bound) */
  readonly initial: number;
  readonly #words: Int32Array;

  constructor(value = 1) {
    const from = takeReviving();
    if (from === undefined && (!Number.isInteger(value) || value < 0)) {
      throw new ValueError(`semaphore initial value must be an integer >= 0 (got ${describe(value)})`);
    }
    const { id, sab } = from ?? fresh(SEM.BYTES);
    this.__troupe = new.target === BoundedSemaphore ? 'sync.BoundedSemaphore' : 'sync.Semaphore';
    this.id = id;
    this.sab = sab;
    this.initial = from ? (from.initial as number) : value;
    this.#words = new Int32Array(sab);
    if (!from) Atomics.store(this.#words, SEM.VALUE, value);
  }

  /** Resolves true once a permit is taken (false if `block: false` or the timeout passed first). */
  async acquire(options?: AcquireOptions): Promise<boolean> {
    const { block, timeout } = parseAcquire(options, 'acquire');
    const me = await tokenInfo();
    const nowait = !block || timeout === 0;
    if (nowait && Atomics.load(this.#words, SEM.VALUE) <= 0) return false;
    const ok = await managerAsk<boolean>({ type: 'sem.acquire', id: this.id, sab: this.sab, initial: this.initial, tok: me.token, timeout, nowait });
    if (ok) addHeld(this.id, me.token, 1);
    return ok;
  }

  /** Sync: returns a permit. BoundedSemaphore: ValueError past the initial value. */
  release(): void {
    this.#releaseAs(cachedToken()?.token);
  }

  #releaseAs(token: number | undefined): void {
    const words = this.#words;
    for (;;) {
      const value = Atomics.load(words, SEM.VALUE);
      if (this.__troupe === 'sync.BoundedSemaphore' && value >= this.initial) {
        throw new ValueError(`BoundedSemaphore released too many times (its bound is ${this.initial}); release only what you acquired`);
      }
      if (Atomics.compareExchange(words, SEM.VALUE, value, value + 1) === value) break;
    }
    const held = token === undefined ? 0 : heldCount(this.id, token);
    if (held > 0) addHeld(this.id, token!, -1);
    // value before waiters: the manager stores its waiter count before it reads the value
    if (held > 0 || Atomics.load(words, SEM.WAITERS) > 0) {
      managerSend({ type: 'sem.release', id: this.id, sab: this.sab, initial: this.initial, tok: held > 0 ? token! : 0 });
    }
  }

  /** Sync snapshot of the free permits (Python's get_value). */
  getValue(): number {
    return Atomics.load(this.#words, SEM.VALUE);
  }

  /** Runs `fn` holding a permit, returning it however `fn` ends. */
  withLock<R>(fn: () => R | Promise<R>): Promise<R> {
    return holding(() => this.acquire(), (token) => this.#releaseAs(token), fn);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.release();
  }
}

/** A semaphore whose release() past its initial value throws ValueError. */
export class BoundedSemaphore extends Semaphore {
  constructor(value = 1) {
    super(value);
  }
}

/** A flag that processes wait for: set() wakes every waiter. */
export class Event {
  readonly __troupe = 'sync.Event';
  readonly id: string;
  readonly sab: SharedArrayBuffer;
  readonly #words: Int32Array;

  constructor() {
    const { id, sab } = takeReviving() ?? fresh(EVENT.BYTES);
    this.id = id;
    this.sab = sab;
    this.#words = new Int32Array(sab);
  }

  set(): void {
    Atomics.store(this.#words, EVENT.FLAG, 1);
    // flag before waiters: the manager counts a waiter before it reads the flag
    if (Atomics.load(this.#words, EVENT.WAITERS) > 0) managerSend({ type: 'event.set', id: this.id });
  }

  clear(): void {
    Atomics.store(this.#words, EVENT.FLAG, 0);
  }

  isSet(): boolean {
    return Atomics.load(this.#words, EVENT.FLAG) === 1;
  }

  /** Resolves true once the flag is set, false if `timeout` ms pass first. */
  async wait(timeout?: number | null): Promise<boolean> {
    const wait = parseWait(timeout, 'Event.wait');
    if (this.isSet()) return true;
    if (wait === 0) return false;
    const me = await tokenInfo();
    return managerAsk<boolean>({ type: 'event.wait', id: this.id, sab: this.sab, tok: me.token, timeout: wait });
  }
}

type AnyLock = Lock | RLock;

/**
 * A condition variable over a Lock or RLock (default: a new RLock). wait() releases the lock and
 * re-acquires it before it resolves; notify() and wait() need the lock held (RuntimeError).
 */
export class Condition {
  readonly __troupe = 'sync.Condition';
  readonly id: string;
  readonly sab: SharedArrayBuffer;
  readonly lock: AnyLock;
  readonly #words: Int32Array;

  constructor(lock?: AnyLock) {
    const from = takeReviving();
    if (from) {
      const data = from.lock as HandleData;
      this.lock = revive(data, () => (data.__troupe === 'sync.RLock' ? new RLock() : new Lock()));
    } else {
      if (lock !== undefined && !(lock instanceof Mutex)) throw new ValueError(`Condition(lock) takes a Lock or an RLock (got ${describe(lock)})`);
      this.lock = lock ?? new RLock();
    }
    const { id, sab } = from ?? fresh(COND.BYTES);
    this.id = id;
    this.sab = sab;
    this.#words = new Int32Array(sab);
  }

  acquire(options?: AcquireOptions): Promise<boolean> {
    return this.lock.acquire(options);
  }

  release(): void {
    this.lock.release();
  }

  withLock<R>(fn: () => R | Promise<R>): Promise<R> {
    return this.lock.withLock(fn);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.lock.release();
  }

  #holder(what: string): TokenInfo {
    const me = cachedToken();
    if (me === undefined || !this.lock[MINE](me.token)) {
      throw new RuntimeError(`cannot ${what} on an un-acquired lock: acquire() the Condition (or use withLock) first`);
    }
    return me;
  }

  /** Releases the lock, waits for notify() (true) or `timeout` ms (false), then holds it again. */
  async wait(timeout?: number | null): Promise<boolean> {
    return this.#waitAs(this.#holder('wait'), parseWait(timeout, 'Condition.wait'));
  }

  async #waitAs(me: TokenInfo, wait: Wait): Promise<boolean> {
    if (!this.lock[MINE](me.token)) throw new RuntimeError('cannot wait on an un-acquired lock: acquire() the Condition (or use withLock) first');
    const level = this.lock[LEVEL]();
    const reply = await managerAsk<CondReply>({ type: 'cond.wait', id: this.id, sab: this.sab, lock: this.lock[DESC](), tok: me.token, timeout: wait });
    this.lock[LEVEL](level);
    return reply.notified;
  }

  /** Waits until `predicate()` is truthy (checked first, then after each wakeup); false on timeout. */
  async waitFor(predicate: () => unknown, timeout?: number | null): Promise<boolean> {
    checkFn(predicate, 'waitFor(predicate)');
    const wait = parseWait(timeout, 'Condition.waitFor');
    const me = this.#holder('wait');
    const end = wait === null ? null : performance.now() + wait;
    let result = await predicate();
    while (!result) {
      const left = end === null ? null : end - performance.now();
      if (left !== null && left <= 0) break;
      await this.#waitAs(me, left);
      result = await predicate();
    }
    return Boolean(result);
  }

  /** Sync: wakes up to `n` waiters (they run once they get the lock back). */
  notify(n = 1): void {
    if (!Number.isInteger(n) || n < 0) throw new ValueError(`notify(n) takes an integer >= 0 (got ${describe(n)})`);
    this.#holder('notify');
    if (n > 0 && Atomics.load(this.#words, COND.WAITERS) > 0) managerSend({ type: 'cond.notify', id: this.id, n });
  }

  notifyAll(): void {
    this.#holder('notify');
    if (Atomics.load(this.#words, COND.WAITERS) > 0) managerSend({ type: 'cond.notify', id: this.id, n: Number.MAX_SAFE_INTEGER });
  }
}

type Action = () => unknown;
// Barrier actions by barrier id, in the thread that created the barrier (closures stay usable here).
const ACTIONS = Symbol.for('troupe.sync.barrierActions');
const localActions: Map<string, Action> = ((globalThis as unknown as Record<symbol, Map<string, Action>>)[ACTIONS] ??= new Map());

/**
 * A barrier for `parties` processes: wait() resolves each party's arrival index once all arrived.
 * The last arrival runs `action` first. A party that times out or dies breaks the barrier; a broken
 * barrier rejects every wait with BrokenBarrierError until reset().
 */
export class Barrier {
  readonly __troupe = 'sync.Barrier';
  readonly id: string;
  readonly sab: SharedArrayBuffer;
  readonly parties: number;
  /** the default timeout of wait(), ms or null */
  readonly timeout: number | null;
  readonly hasAction: boolean;
  /** where another thread loads the action from (self-contained function or task) */
  action: Locator | null = null;
  readonly #words: Int32Array;

  constructor(parties: number, action?: Action | null, timeout?: number | null) {
    const from = takeReviving();
    if (from) {
      ({ id: this.id, sab: this.sab, parties: this.parties, timeout: this.timeout, hasAction: this.hasAction } = from as Barrier);
      this.action = from.action ?? null;
    } else {
      if (!Number.isInteger(parties) || parties < 1) throw new ValueError(`Barrier(parties) needs an integer >= 1 (got ${describe(parties)})`);
      if (action !== undefined && action !== null) checkFn(action, 'Barrier(parties, action)');
      ({ id: this.id, sab: this.sab } = fresh(BARRIER.BYTES));
      this.parties = parties;
      this.timeout = parseWait(timeout, 'Barrier');
      this.hasAction = typeof action === 'function';
      if (typeof action === 'function') {
        localActions.set(this.id, action);
        locateTarget(action, 'barrier action').then(
          (locator) => (this.action = locator),
          () => {}, // a closure: it can only run in this thread (wait() says so elsewhere)
        );
      }
    }
    this.#words = new Int32Array(this.sab);
  }

  /** Resolves this party's arrival index (0..parties-1); rejects BrokenBarrierError. */
  async wait(timeout?: number | null): Promise<number> {
    const wait = timeout === undefined ? this.timeout : parseWait(timeout, 'Barrier.wait');
    if (this.broken) throw new BrokenBarrierError('the barrier is broken; reset() it before waiting again');
    const me = await tokenInfo();
    const reply = await managerAsk<BarrierReply>({
      type: 'barrier.wait',
      id: this.id,
      sab: this.sab,
      parties: this.parties,
      tok: me.token,
      timeout: wait,
      hasAction: this.hasAction,
    });
    if (reply.runAction) {
      try {
        const action = localActions.get(this.id) ?? (this.action ? ((await load(this.action)) as Action) : undefined);
        if (action === undefined) {
          throw new BrokenBarrierError(
            'the barrier action captures variables of the thread that created the barrier, so it cannot run here (the last party to arrive runs it); make it self-contained or a task()',
          );
        }
        await action();
      } catch (error) {
        managerSend({ type: 'barrier.actionDone', id: this.id, ok: false });
        throw error;
      }
      managerSend({ type: 'barrier.actionDone', id: this.id, ok: true });
    }
    return reply.index;
  }

  /** Sync: breaks the barrier; waiting parties (and later waits) get BrokenBarrierError. */
  abort(): void {
    Atomics.store(this.#words, BARRIER.BROKEN, 1);
    managerSend({ type: 'barrier.abort', id: this.id, sab: this.sab, parties: this.parties });
  }

  /** Sync: back to empty and unbroken; parties waiting now get BrokenBarrierError. */
  reset(): void {
    Atomics.store(this.#words, BARRIER.BROKEN, 0);
    managerSend({ type: 'barrier.reset', id: this.id, sab: this.sab, parties: this.parties });
  }

  get broken(): boolean {
    return Atomics.load(this.#words, BARRIER.BROKEN) === 1;
  }

  /** Parties waiting now. */
  get nWaiting(): number {
    return Atomics.load(this.#words, BARRIER.COUNT);
  }
}

registerHandle('sync.Lock', (data) => revive(data, () => new Lock()));
registerHandle('sync.RLock', (data) => revive(data, () => new RLock()));
registerHandle('sync.Semaphore', (data) => revive(data, () => new Semaphore()));
registerHandle('sync.BoundedSemaphore', (data) => revive(data, () => new BoundedSemaphore()));
registerHandle('sync.Event', (data) => revive(data, () => new Event()));
registerHandle('sync.Condition', (data) => revive(data, () => new Condition()));
registerHandle('sync.Barrier', (data) => revive(data, () => new Barrier(1)));
