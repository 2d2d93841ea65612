/**
 * Event (DESIGN §4.4): a flag in shared memory that set/clear/isSet read and write without a
 * message; waiters park at the lock manager, which a set() that sees them wakes.
 */
import { EVENT } from '../../../actors/lock-manager/protocol.js';
import { managerAsk, managerOf, managerSend, parseWait, publish, tokenInfo } from './client.js';
import { fresh, revivable, takeReviving } from './handle.js';

/** A flag that processes wait for: set() wakes every waiter. */
export class Event {
  readonly __troupe = 'sync.Event';
  readonly id: string;
  readonly sab: SharedArrayBuffer;
  readonly mgr: string | undefined;
  readonly #words: Int32Array;

  constructor() {
    const { id, sab, mgr } = takeReviving() ?? fresh(EVENT.BYTES);
    this.id = id;
    this.sab = sab;
    this.mgr = mgr;
    this.#words = new Int32Array(sab);
  }

  /** Sync: sets the flag (after what this thread sent before is on its way) and wakes every waiter. */
  set(): void {
    publish();
    Atomics.store(this.#words, EVENT.FLAG, 1);
    // flag before waiters: the manager counts a waiter before it reads the flag
    if (Atomics.load(this.#words, EVENT.WAITERS) > 0) managerSend(this.mgr, { type: 'event.set', id: this.id });
  }

  clear(): void {
    Atomics.store(this.#words, EVENT.FLAG, 0);
  }

  isSet(): boolean {
    return Atomics.load(this.#words, EVENT.FLAG) === 1;
  }

  /** Resolves true once the flag is set, false if `timeout` ms pass first (negative: 0). */
  async wait(timeout?: number | null): Promise<boolean> {
    const wait = parseWait(timeout, 'Event.wait');
    if (this.isSet()) return true;
    if (wait === 0) return false;
    const me = await tokenInfo(this.mgr);
    return managerAsk<boolean>(await managerOf(this.mgr), { type: 'event.wait', id: this.id, sab: this.sab, token: me.token, timeout: wait });
  }
}

revivable('sync.Event', () => new Event());
