/**
 * Barriers: parties wait here until the last arrives (which runs the action first, if any); a
 * party that times out or dies, abort() and a failing action break the barrier — every waiter gets
 * BrokenBarrierError until reset(). Arrivals for the next round while the action runs wait.
 */
import { BrokenBarrierError } from '../../src/errors.js';
import type { Holders, Reply } from './holders.js';
import { BARRIER, type BarrierControl, type BarrierReply, type BarrierWait } from './protocol.js';

interface Party {
  token: number;
  reply: Reply;
  timer: NodeJS.Timeout | undefined;
  index: number;
}

interface BarrierEntry {
  id: string;
  words: Int32Array;
  parties: number;
  waiters: Party[];
  /** the last party, running the action; the others are released when it reports back */
  releasing: Party | undefined;
  /** arrivals for the next round while the action runs */
  early: Array<{ message: BarrierWait; reply: Reply }>;
}

export class Barriers {
  private readonly barriers = new Map<string, BarrierEntry>();

  constructor(private readonly holders: Holders) {}

  private entry(id: string, sab: SharedArrayBuffer, parties: number): BarrierEntry {
    let entry = this.barriers.get(id);
    if (entry === undefined) {
      entry = { id, words: new Int32Array(sab), parties, waiters: [], releasing: undefined, early: [] };
      this.barriers.set(id, entry);
    }
    return entry;
  }

  wait(message: BarrierWait, reply: Reply): void {
    if (this.holders.refuseDead(message.token, reply)) return;
    const barrier = this.entry(message.id, message.sab, message.parties);
    if (Atomics.load(barrier.words, BARRIER.BROKEN) === 1) {
      return reply(false, new BrokenBarrierError('the barrier is broken; reset() it before waiting again'));
    }
    if (barrier.releasing !== undefined) {
      barrier.early.push({ message, reply });
      return;
    }
    const party: Party = { token: message.token, reply, timer: undefined, index: barrier.waiters.length };
    barrier.waiters.push(party);
    Atomics.store(barrier.words, BARRIER.COUNT, barrier.waiters.length);
    if (party.index + 1 < barrier.parties) {
      if (message.timeout !== null) {
        party.timer = setTimeout(() => this.break(barrier, `a party timed out after ${message.timeout} ms`), message.timeout);
      }
      return;
    }
    if (message.hasAction) {
      barrier.waiters.pop();
      barrier.releasing = party;
      reply(true, { index: party.index, runAction: true } satisfies BarrierReply);
    } else {
      this.release(barrier);
    }
  }

  actionDone(id: string, ok: boolean): void {
    const barrier = this.barriers.get(id);
    if (barrier?.releasing === undefined) return;
    barrier.releasing = undefined;
    if (ok) this.release(barrier);
    else this.break(barrier, 'the barrier action threw');
  }

  private release(barrier: BarrierEntry): void {
    const parties = barrier.waiters;
    barrier.waiters = [];
    barrier.releasing = undefined;
    Atomics.store(barrier.words, BARRIER.COUNT, 0);
    for (const party of parties) {
      if (party.timer) clearTimeout(party.timer);
      party.reply(true, { index: party.index, runAction: false } satisfies BarrierReply);
    }
    const early = barrier.early;
    barrier.early = [];
    for (const { message, reply } of early) this.wait(message, reply);
    if (barrier.waiters.length === 0 && barrier.releasing === undefined) this.barriers.delete(barrier.id);
  }

  /** Breaks the barrier: every waiter (and early arrival) gets BrokenBarrierError until reset(). */
  private break(barrier: BarrierEntry, why: string): void {
    Atomics.store(barrier.words, BARRIER.BROKEN, 1);
    this.fail(barrier, `the barrier broke: ${why}; reset() it before waiting again`);
  }

  control(message: BarrierControl): void {
    const barrier = this.entry(message.id, message.sab, message.parties);
    if (message.type === 'barrier.abort') return this.break(barrier, 'abort() was called');
    this.fail(barrier, 'the barrier was reset() while this party waited');
    Atomics.store(barrier.words, BARRIER.BROKEN, 0);
  }

  /** Fails every waiting party; the one running the action already has its answer. */
  private fail(barrier: BarrierEntry, message: string): void {
    const parties = barrier.waiters;
    const early = barrier.early;
    barrier.waiters = [];
    barrier.early = [];
    barrier.releasing = undefined;
    Atomics.store(barrier.words, BARRIER.COUNT, 0);
    for (const party of parties) {
      if (party.timer) clearTimeout(party.timer);
      party.reply(false, new BrokenBarrierError(message));
    }
    for (const { reply } of early) reply(false, new BrokenBarrierError(message));
    this.barriers.delete(barrier.id);
  }

  died(token: number, name: string): void {
    for (const barrier of [...this.barriers.values()]) {
      if (barrier.releasing?.token === token || barrier.waiters.some((w) => w.token === token)) {
        this.break(barrier, `party ${name} died while waiting at the barrier`);
      }
    }
  }

  stop(error: () => Error): void {
    for (const barrier of this.barriers.values()) {
      for (const party of barrier.waiters) {
        if (party.timer) clearTimeout(party.timer);
        party.reply(false, error());
      }
      for (const early of barrier.early) early.reply(false, error());
    }
    this.barriers.clear();
  }
}
