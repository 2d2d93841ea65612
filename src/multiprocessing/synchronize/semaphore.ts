/**
 * Semaphore and BoundedSemaphore (DESIGN §4.4). The permit count lives in shared memory; acquires
 * go through the lock manager (it must know who holds permits, to return a dead holder's), and a
 * release that may wake a waiter or return a held permit tells it.
 */
import { SEM } from '../../../actors/lock-manager/protocol.js';
import { ValueError } from '../../errors.js';
import { addHeld, cachedToken, describe, heldCount, managerAsk, managerOf, managerSend, parseAcquire, publish, tokenInfo, type AcquireOptions } from './client.js';
import { fresh, revivable, takeReviving } from './handle.js';
import { holding } from './mutex.js';

/**
 * A counting semaphore. Permits taken by a process that dies are returned (up to the initial
 * value, so a semaphore used as a signal counter never gains permits nobody released).
 */
export class Semaphore {
  readonly __troupe: string;
  readonly id: string;
  readonly sab: SharedArrayBuffer;
  readonly mgr: string | undefined;
  /** the initial value (BoundedSemaphore: also the bound) */
  readonly initial: number;
  readonly #words: Int32Array;

  constructor(value = 1) {
    const from = takeReviving();
    if (from === undefined && (!Number.isInteger(value) || value < 0)) {
      throw new ValueError(`semaphore initial value must be an integer >= 0 (got ${describe(value)})`);
    }
    const { id, sab, mgr } = from ?? fresh(SEM.BYTES);
    this.__troupe = new.target === BoundedSemaphore ? 'sync.BoundedSemaphore' : 'sync.Semaphore';
    this.id = id;
    this.sab = sab;
    this.mgr = mgr;
    this.initial = from ? (from.initial as number) : value;
    this.#words = new Int32Array(sab);
    if (!from) Atomics.store(this.#words, SEM.VALUE, value);
  }

  /** Resolves true once a permit is taken (false if `block: false` or the timeout passed first). */
  async acquire(options?: AcquireOptions): Promise<boolean> {
    const { block, timeout } = parseAcquire(options, 'acquire');
    const me = await tokenInfo(this.mgr);
    const nowait = !block || timeout === 0;
    if (nowait && Atomics.load(this.#words, SEM.VALUE) <= 0) return false;
    const ok = await managerAsk<boolean>(await managerOf(this.mgr), { type: 'sem.acquire', id: this.id, sab: this.sab, initial: this.initial, token: me.token, timeout, nowait });
    if (ok) addHeld(this.id, me.token, 1);
    return ok;
  }

  /** Sync: returns a permit. BoundedSemaphore: ValueError past the initial value. */
  release(): void {
    this.#releaseAs(cachedToken(this.mgr)?.token);
  }

  #releaseAs(token: number | undefined): void {
    const words = this.#words;
    if (this.__troupe === 'sync.BoundedSemaphore' && Atomics.load(words, SEM.VALUE) >= this.initial) {
      throw new ValueError(`BoundedSemaphore released too many times (its bound is ${this.initial}); release only what you acquired`);
    }
    publish();
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
      const message = { type: 'sem.release', id: this.id, sab: this.sab, initial: this.initial, token: held > 0 ? token! : 0 };
      managerSend(this.mgr, message);
    }
  }

  /** Sync snapshot of the free permits (Python's get_value). */
  getValue(): number {
    return Atomics.load(this.#words, SEM.VALUE);
  }

  /** Runs `fn` holding a permit, returning it however `fn` ends. */
  withLock<R>(fn: () => R | Promise<R>): Promise<R> {
    return holding(() => this.acquire(), () => tokenInfo(this.mgr), (token) => this.#releaseAs(token), fn);
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

revivable('sync.Semaphore', () => new Semaphore());
revivable('sync.BoundedSemaphore', () => new BoundedSemaphore());
