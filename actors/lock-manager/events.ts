/**
 * Event waits: the flag lives in shared memory (set/clear/isSet never message); a waiter parks
 * here until a set() that saw waiters tells the manager, or its timeout passes.
 */
import type { Holders, Reply } from './holders.js';
import { EVENT, type EventWait } from './protocol.js';

interface Waiter {
  token: number;
  reply: Reply;
  timer: NodeJS.Timeout | undefined;
}

interface EventEntry {
  id: string;
  words: Int32Array;
  waiters: Waiter[];
}

export class Events {
  private readonly events = new Map<string, EventEntry>();

  constructor(private readonly holders: Holders) {}

  wait(message: EventWait, reply: Reply): void {
    if (this.holders.refuseDead(message.token, reply)) return;
    let event = this.events.get(message.id);
    if (event === undefined) {
      event = { id: message.id, words: new Int32Array(message.sab), waiters: [] };
      this.events.set(message.id, event);
    }
    const waiter: Waiter = { token: message.token, reply, timer: undefined };
    event.waiters.push(waiter);
    // count first, then read the flag: a setter stores the flag, then reads the count
    Atomics.add(event.words, EVENT.WAITERS, 1);
    if (Atomics.load(event.words, EVENT.FLAG) === 1) return this.set(message.id);
    if (message.timeout !== null) {
      const entry = event;
      waiter.timer = setTimeout(() => this.end(entry, waiter, true, false), message.timeout);
    }
  }

  set(id: string): void {
    const event = this.events.get(id);
    if (event === undefined) return;
    for (const waiter of [...event.waiters]) this.end(event, waiter, true, true);
  }

  private end(event: EventEntry, waiter: Waiter, ok: boolean, value: unknown): void {
    const index = event.waiters.indexOf(waiter);
    if (index < 0) return;
    event.waiters.splice(index, 1);
    if (waiter.timer) clearTimeout(waiter.timer);
    Atomics.sub(event.words, EVENT.WAITERS, 1);
    if (event.waiters.length === 0) this.events.delete(event.id);
    waiter.reply(ok, value);
  }

  died(token: number, gone: () => Error): void {
    for (const event of [...this.events.values()]) {
      for (const waiter of event.waiters.filter((w) => w.token === token)) this.end(event, waiter, false, gone());
    }
  }

  stop(error: () => Error): void {
    for (const event of this.events.values()) {
      for (const waiter of event.waiters) {
        if (waiter.timer) clearTimeout(waiter.timer);
        waiter.reply(false, error());
      }
    }
    this.events.clear();
  }
}
