/**
 * Semaphore acquires always reach the manager (it must know who holds permits): FIFO waiters,
 * timeouts, and the permits of a holder that died returned — never past the initial value less
 * what live holders hold, so a semaphore used as a signal counter never gains permits nobody
 * released, and a holder killed between its release in shared memory and its message (the
 * permit is back already) is not paid twice: what a dead holder is owed is returned only as room
 * appears, when the release messages still in flight arrive.
 */
import type { Holders, Reply } from './holders.js';
import type { Warn } from './locks.js';
import { SEM, type SemAcquire, type SemRelease } from './protocol.js';

interface Waiter {
  token: number;
  reply: Reply;
  timer: NodeJS.Timeout | undefined;
}

interface SemEntry {
  id: string;
  words: Int32Array;
  initial: number;
  queue: Waiter[];
  /** permits taken and not yet given back, per token */
  holdings: Map<number, number>;
  /** permits of dead holders not returned yet (some may have been released before the death) */
  owed: number;
}

function cas(words: Int32Array, index: number, expected: number, next: number): boolean {
  return Atomics.compareExchange(words, index, expected, next) === expected;
}

export class Semaphores {
  private readonly sems = new Map<string, SemEntry>();

  constructor(
    private readonly holders: Holders,
    private readonly warn: Warn,
  ) {}

  private entry(id: string, sab: SharedArrayBuffer, initial: number): SemEntry {
    let entry = this.sems.get(id);
    if (entry === undefined) {
      entry = { id, words: new Int32Array(sab), initial, queue: [], holdings: new Map(), owed: 0 };
      this.sems.set(id, entry);
    }
    return entry;
  }

  acquire(message: SemAcquire, reply: Reply): void {
    if (this.holders.refuseDead(message.token, reply)) return;
    const sem = this.entry(message.id, message.sab, message.initial);
    const waiter: Waiter = { token: message.token, reply, timer: undefined };
    sem.queue.push(waiter);
    this.settle(sem);
    if (!sem.queue.includes(waiter)) return;
    if (message.nowait || message.timeout === 0) this.endWait(sem, waiter);
    else if (message.timeout !== null) waiter.timer = setTimeout(() => this.endWait(sem, waiter), message.timeout);
  }

  private endWait(sem: SemEntry, waiter: Waiter): void {
    const index = sem.queue.indexOf(waiter);
    if (index >= 0) sem.queue.splice(index, 1);
    if (waiter.timer) clearTimeout(waiter.timer);
    waiter.reply(true, false);
    this.settle(sem);
  }

  release(message: SemRelease): void {
    const sem = this.entry(message.id, message.sab, message.initial);
    const held = sem.holdings.get(message.token) ?? 0;
    if (held > 1) sem.holdings.set(message.token, held - 1);
    else sem.holdings.delete(message.token);
    if (sem.owed > 0) this.repay(sem);
    this.settle(sem);
  }

  /**
   * Returns what dead holders are owed, as far as there is room: free permits and those live
   * holders hold never exceed the initial value. A release done in shared memory whose message is
   * still in flight counts twice until its message arrives, so it makes no room before then.
   */
  private repay(sem: SemEntry, name?: string): void {
    let live = 0;
    for (const n of sem.holdings.values()) live += n;
    for (;;) {
      const value = Atomics.load(sem.words, SEM.VALUE);
      const back = Math.min(sem.owed, sem.initial - value - live);
      if (back <= 0) return;
      if (!cas(sem.words, SEM.VALUE, value, value + back)) continue;
      sem.owed -= back;
      this.warn(`${name ?? 'a holder'} died holding ${back} semaphore permit(s); they were returned`, { semaphore: sem.id, holder: name, permits: back });
      return;
    }
  }

  /** Grants permits to waiters in order while any are free. */
  private settle(sem: SemEntry): void {
    const words = sem.words;
    // publish the waiter count before reading the value: a releaser stores value, then reads waiters
    Atomics.store(words, SEM.WAITERS, sem.queue.length);
    while (sem.queue.length > 0) {
      const value = Atomics.load(words, SEM.VALUE);
      if (value <= 0) break;
      if (!cas(words, SEM.VALUE, value, value - 1)) continue;
      const head = sem.queue.shift()!;
      if (head.timer) clearTimeout(head.timer);
      sem.holdings.set(head.token, (sem.holdings.get(head.token) ?? 0) + 1);
      head.reply(true, true);
    }
    Atomics.store(words, SEM.WAITERS, sem.queue.length);
    // with no holder left, what is still owed was released before its holder died
    if (sem.queue.length === 0 && sem.holdings.size === 0) this.sems.delete(sem.id);
  }

  /** A caller died: its waits end, its permits return (up to the initial value). */
  died(token: number, name: string, gone: () => Error): void {
    for (const sem of [...this.sems.values()]) {
      for (const waiter of sem.queue.filter((w) => w.token === token)) {
        sem.queue.splice(sem.queue.indexOf(waiter), 1);
        if (waiter.timer) clearTimeout(waiter.timer);
        waiter.reply(false, gone());
      }
      const held = sem.holdings.get(token) ?? 0;
      sem.holdings.delete(token);
      sem.owed += held;
      if (sem.owed > 0) this.repay(sem, name);
      this.settle(sem);
    }
  }

  stop(error: () => Error): void {
    for (const sem of this.sems.values()) {
      for (const waiter of sem.queue) {
        if (waiter.timer) clearTimeout(waiter.timer);
        waiter.reply(false, error());
      }
    }
    this.sems.clear();
  }
}
