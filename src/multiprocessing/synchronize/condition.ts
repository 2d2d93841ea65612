/**
 * Condition (DESIGN §4.4): a condition variable over a Lock or RLock (default: a new RLock).
 * wait() releases the lock and waits at the lock manager, which hands the lock back before it
 * answers; notify() and wait() need the lock held (RuntimeError).
 */
import { COND, type CondReply, type Wait } from '../../../actors/lock-manager/protocol.js';
import { RuntimeError, ValueError } from '../../errors.js';
import { cachedToken, checkFn, describe, managerAsk, managerOf, managerSend, parseWait, publish, type AcquireOptions, type TokenInfo } from './client.js';
import { fresh, revive, revivable, takeReviving, type HandleData } from './handle.js';
import { DESC, LEVEL, Lock, MINE, Mutex, RLock } from './mutex.js';

type AnyLock = Lock | RLock;

export class Condition {
  readonly __troupe = 'sync.Condition';
  readonly id: string;
  readonly sab: SharedArrayBuffer;
  readonly mgr: string | undefined;
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
    // the condition waits at its lock's manager
    this.mgr = this.lock.mgr;
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
    const me = cachedToken(this.mgr);
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
    // what this thread sent while holding the lock goes before the lock is let go
    publish();
    const reply = await managerAsk<CondReply>(await managerOf(this.mgr), { type: 'cond.wait', id: this.id, sab: this.sab, lock: this.lock[DESC](), token: me.token, timeout: wait });
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
    if (n > 0 && Atomics.load(this.#words, COND.WAITERS) > 0) managerSend(this.mgr, { type: 'cond.notify', id: this.id, n });
  }

  notifyAll(): void {
    this.#holder('notify');
    if (Atomics.load(this.#words, COND.WAITERS) > 0) managerSend(this.mgr, { type: 'cond.notify', id: this.id, n: Number.MAX_SAFE_INTEGER });
  }
}

revivable('sync.Condition', () => new Condition());
