/**
 * Condition variables: wait() registers the waiter and releases its lock in one step (no notify can
 * fall between the two); a notified or timed-out waiter queues for the lock again and is answered
 * once it holds it.
 */
import { RuntimeError } from '../../src/errors.js';
import type { Holders, Reply } from './holders.js';
import type { LockEntry, Locks } from './locks.js';
import { COND, H, LOCK, ownerOf, type CondReply, type CondWait } from './protocol.js';

interface Waiter {
  token: number;
  reply: Reply;
  timer: NodeJS.Timeout | undefined;
  lock: LockEntry;
}

interface CondEntry {
  id: string;
  words: Int32Array;
  waiters: Waiter[];
}

export class Conditions {
  private readonly conds = new Map<string, CondEntry>();

  constructor(
    private readonly holders: Holders,
    private readonly locks: Locks,
  ) {}

  wait(message: CondWait, reply: Reply): void {
    const lock = this.locks.entry(message.lock);
    if (this.holders.refuseDead(message.token, reply)) return this.locks.settle(lock);
    const state = Atomics.load(lock.words, LOCK.STATE);
    if (ownerOf(state) !== message.token || (state & H) !== 0) {
      this.locks.settle(lock);
      return reply(false, new RuntimeError('cannot wait on an un-acquired lock: acquire() the Condition (or use withLock) before wait()'));
    }
    let cond = this.conds.get(message.id);
    if (cond === undefined) {
      cond = { id: message.id, words: new Int32Array(message.sab), waiters: [] };
      this.conds.set(message.id, cond);
    }
    const waiter: Waiter = { token: message.token, reply, timer: undefined, lock };
    cond.waiters.push(waiter);
    Atomics.store(cond.words, COND.WAITERS, cond.waiters.length);
    if (message.timeout !== null) {
      const owner = cond;
      waiter.timer = setTimeout(() => {
        this.remove(owner, waiter);
        this.locks.settle(this.requeue(waiter, false));
      }, message.timeout);
    }
    this.locks.releaseFor(lock, message.token);
  }

  notify(id: string, n: number): void {
    const cond = this.conds.get(id);
    if (cond === undefined) return;
    const woken = cond.waiters.splice(0, Math.min(n, cond.waiters.length));
    Atomics.store(cond.words, COND.WAITERS, cond.waiters.length);
    if (cond.waiters.length === 0) this.conds.delete(id);
    const locks = new Set<LockEntry>();
    for (const waiter of woken) {
      if (waiter.timer) clearTimeout(waiter.timer);
      locks.add(this.requeue(waiter, true));
    }
    for (const lock of locks) this.locks.settle(lock);
  }

  private remove(cond: CondEntry, waiter: Waiter): void {
    const index = cond.waiters.indexOf(waiter);
    if (index >= 0) cond.waiters.splice(index, 1);
    if (waiter.timer) clearTimeout(waiter.timer);
    Atomics.store(cond.words, COND.WAITERS, cond.waiters.length);
    if (cond.waiters.length === 0) this.conds.delete(cond.id);
  }

  /** Queues a woken waiter for its lock. */
  private requeue(waiter: Waiter, notified: boolean): LockEntry {
    const lock = this.locks.revive(waiter.lock);
    lock.queue.push({
      token: waiter.token,
      timer: undefined,
      granted: (abandoned) => waiter.reply(true, { notified, abandoned } satisfies CondReply),
      failed: (error) => waiter.reply(false, error),
    });
    return lock;
  }

  died(token: number, gone: () => Error): void {
    for (const cond of [...this.conds.values()]) {
      for (const waiter of cond.waiters.filter((w) => w.token === token)) {
        this.remove(cond, waiter);
        waiter.reply(false, gone());
      }
    }
  }

  stop(error: () => Error): void {
    for (const cond of this.conds.values()) {
      for (const waiter of cond.waiters) {
        if (waiter.timer) clearTimeout(waiter.timer);
        waiter.reply(false, error());
      }
    }
    this.conds.clear();
  }
}
