/**
 * Lock and RLock (DESIGN §4.4). A free lock is taken and freed with one compare-and-swap on its
 * state word; one contender waits for it in shared memory (Atomics.waitAsync); the rest — queued
 * waiters, timeouts, and a dead holder's lock passed on flagged `abandoned` — is the lock
 * manager's (actors/lock-manager/locks.ts). release() is sync and publishes what this thread sent
 * before it (causal order).
 */
import { C, H, LOCK, PARK_MS, SHIFT, isHeld, ownerOf, writeName, type AcquireReply, type LockDesc } from '../../../actors/lock-manager/protocol.js';
import { RuntimeError, ValueError } from '../../errors.js';
import { inWorker } from '../../kernel-call.js';
import { cachedToken, checkFn, describe, managerAsk, managerOf, managerSend, parseAcquire, publish, readOwner, tokenInfo, waitAsync, type AcquireOptions, type TokenInfo } from './client.js';
import { fresh, revivable, takeReviving } from './handle.js';

export type { AcquireOptions };

const TRUE = Promise.resolve(true);

// Internal protocol between Condition and its lock (Symbol.for: shared by every troupe copy).
export const DESC = Symbol.for('troupe.sync.lockDesc');
export const MINE = Symbol.for('troupe.sync.isMine');
export const LEVEL = Symbol.for('troupe.sync.level');
export const RELEASE_AS = Symbol.for('troupe.sync.releaseAs');
export const MANAGER = Symbol.for('troupe.sync.manager');

/** withLock for locks and semaphores: acquire as the caller, run `fn`, release however it ends. */
export async function holding<R>(acquire: () => Promise<unknown>, token: () => TokenInfo | Promise<TokenInfo>, releaseAs: (token: number) => void, fn: () => R | Promise<R>): Promise<R> {
  checkFn(fn, 'withLock(fn)');
  const me = token();
  await acquire();
  const { token: held } = await me;
  try {
    return await fn();
  } finally {
    releaseAs(held);
  }
}

function unlocked(): ValueError {
  return new ValueError('release() of an unlocked Lock: acquire() it first (each acquire() is matched by one release())');
}

/** What Lock and RLock share: the state word, the fast paths, and the manager's slow path. */
export abstract class Mutex {
  readonly __troupe: string;
  readonly id: string;
  readonly sab: SharedArrayBuffer;
  readonly mgr: string | undefined;
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
    const { id, sab, mgr } = from ?? fresh(LOCK.BYTES);
    this.__troupe = kind;
    this.id = id;
    this.sab = sab;
    this.mgr = mgr;
    this.throwOnAbandoned = from ? from.throwOnAbandoned === true : onAbandoned === 'throw';
    this.#words = new Int32Array(sab);
    this.#bytes = new Uint8Array(sab);
    this.#recursive = kind === 'sync.RLock';
    // the manager learns of every lock, so one whose holder dies is released even if it never saw it
    if (!from) managerSend(mgr, { type: 'lock.known', lock: this[DESC](), weak: !inWorker() });
  }

  /**
   * Resolves true once held (false if `block: false` or the timeout passed first; a negative
   * timeout means 0). Rejects AbandonedLockError when the previous holder died and the lock was
   * made with onAbandoned 'throw'.
   */
  acquire(options?: AcquireOptions): Promise<boolean> {
    if (options !== undefined) {
      try {
        parseAcquire(options, 'acquire');
      } catch (error) {
        return Promise.reject(error);
      }
    }
    const me = cachedToken(this.mgr);
    if (me !== undefined && this.#tryFast(me)) return TRUE;
    return this.#acquireSlow(options, tokenInfo(this.mgr));
  }

  #tryFast(me: TokenInfo): boolean {
    const words = this.#words;
    if (Atomics.compareExchange(words, LOCK.STATE, 0, me.token << SHIFT) === 0) {
      if (this.#recursive) Atomics.store(words, LOCK.COUNT, 1);
      // plain reads: only a holder writes these words, and every earlier holder's writes happened
      // before the release our compare-exchange saw (an Atomics call each would double the loop)
      if (words[LOCK.ABANDONED] !== 0) Atomics.store(words, LOCK.ABANDONED, 0);
      if (words[LOCK.NAME_TOKEN] !== me.token) writeName(words, this.#bytes, me.token, me.bytes);
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
    const reply = await managerAsk<AcquireReply>(await managerOf(this.mgr), {
      type: 'lock.acquire',
      lock: this[DESC](),
      token: me.token,
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
        // cleared before STATE is read: a release after that read sees it and wakes us
        Atomics.store(words, LOCK.WAKE, 0);
        const state = Atomics.load(words, LOCK.STATE);
        if (state === 0) {
          if (!this.#tryFast(me)) continue;
          Atomics.compareExchange(words, LOCK.PARK, me.token, 0);
          return 'acquired';
        }
        const left = deadline - performance.now();
        if ((state & C) !== 0 || !isHeld(state) || left <= 0) return 'parked';
        // on WAKE, not STATE: a release between our read and this wait set WAKE (no sleep then);
        // STATE may already hold the same value again (the holder re-took it), which hid that wake
        const result = waitAsync(words, LOCK.WAKE, 0, left);
        if (result.async) await result.value;
      }
    } finally {
      clearTimeout(alive);
    }
  }

  /** Sync. Lock: any caller may release (Python); RLock: only the holder, once per acquire. */
  release(): void {
    this[RELEASE_AS](this.#recursive ? cachedToken(this.mgr)?.token : undefined);
  }

  [RELEASE_AS](token: number | undefined): void {
    const words = this.#words;
    if (this.#recursive) {
      if (token === undefined || !this[MINE](token)) {
        throw new RuntimeError(`cannot release an RLock this caller does not hold (held by ${this.owner ?? 'nobody'}); only the caller that acquired it may release it`);
      }
      const level = Atomics.load(words, LOCK.COUNT);
      if (level > 1) {
        Atomics.store(words, LOCK.COUNT, level - 1);
        return;
      }
    }
    // a plain read: the caller's acquire happened before it; a stale value only fails the
    // compare-exchange below, which returns the current one
    let state = words[LOCK.STATE]!;
    if (!isHeld(state)) throw unlocked();
    publish();
    if (this.#recursive) Atomics.store(words, LOCK.COUNT, 0);
    for (;;) {
      // a failed compare-exchange returns what the word holds now: no second load
      const next = (state & C) === 0 ? 0 : state | H;
      const seen = Atomics.compareExchange(words, LOCK.STATE, state, next);
      if (seen !== state) {
        state = seen;
        if (!isHeld(state)) throw unlocked();
        continue;
      }
      if (next === 0) {
        if (Atomics.load(words, LOCK.PARK) !== 0 && Atomics.compareExchange(words, LOCK.WAKE, 0, 1) === 0) Atomics.notify(words, LOCK.WAKE, 1);
      } else managerSend(this.mgr, { type: 'lock.release', id: this.id });
      return;
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
    return holding(() => this.acquire(), () => tokenInfo(this.mgr), (token) => this[RELEASE_AS](token), fn);
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

revivable('sync.Lock', () => new Lock());
revivable('sync.RLock', () => new RLock());
