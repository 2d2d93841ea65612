/**
 * Barrier (DESIGN §4.4): parties wait at the lock manager until all have arrived; the last runs
 * the action first. A party that times out or dies breaks the barrier; a broken barrier rejects
 * every wait with BrokenBarrierError until reset(). The broken flag and the count of waiting
 * parties are in shared memory (sync getters).
 */
import { BARRIER, type BarrierReply } from '../../../actors/lock-manager/protocol.js';
import type { Locator } from '../../define.js';
import { BrokenBarrierError, ValueError } from '../../errors.js';
import { load } from '../../hosts/load.js';
import { locateTarget } from '../../target.js';
import { checkFn, describe, managerAsk, managerOf, managerSend, parseWait, publish, tokenInfo } from './client.js';
import { fresh, revivable, takeReviving } from './handle.js';

type Action = () => unknown;
// Barrier actions by barrier id, in the thread that created the barrier (closures stay usable here).
const ACTIONS = Symbol.for('troupe.sync.barrierActions');
const localActions: Map<string, Action> = ((globalThis as unknown as Record<symbol, Map<string, Action>>)[ACTIONS] ??= new Map());

/**
 * A barrier for `parties` processes: wait() resolves each party's arrival index once all arrived.
 * The last arrival runs `action` first.
 */
export class Barrier {
  readonly __troupe = 'sync.Barrier';
  readonly id: string;
  readonly sab: SharedArrayBuffer;
  readonly mgr: string | undefined;
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
      ({ id: this.id, sab: this.sab, mgr: this.mgr, parties: this.parties, timeout: this.timeout, hasAction: this.hasAction } = from as unknown as Barrier);
      this.action = from.action ?? null;
    } else {
      if (!Number.isInteger(parties) || parties < 1) throw new ValueError(`Barrier(parties) needs an integer >= 1 (got ${describe(parties)})`);
      if (action !== undefined && action !== null) checkFn(action, 'Barrier(parties, action)');
      ({ id: this.id, sab: this.sab, mgr: this.mgr } = fresh(BARRIER.BYTES));
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
    const me = await tokenInfo(this.mgr);
    // what this party sent before arriving is in its queue/pipe before anyone passes the barrier
    publish();
    const manager = await managerOf(this.mgr);
    const reply = await managerAsk<BarrierReply>(manager, { type: 'barrier.wait', id: this.id, sab: this.sab, parties: this.parties, token: me.token, timeout: wait, hasAction: this.hasAction });
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
        managerSend(manager, { type: 'barrier.actionDone', id: this.id, ok: false });
        throw error;
      }
      managerSend(manager, { type: 'barrier.actionDone', id: this.id, ok: true });
    }
    return reply.index;
  }

  /** Sync: breaks the barrier; waiting parties (and later waits) get BrokenBarrierError. */
  abort(): void {
    publish();
    Atomics.store(this.#words, BARRIER.BROKEN, 1);
    managerSend(this.mgr, { type: 'barrier.abort', id: this.id, sab: this.sab, parties: this.parties });
  }

  /** Sync: back to empty and unbroken; parties waiting now get BrokenBarrierError. */
  reset(): void {
    publish();
    Atomics.store(this.#words, BARRIER.BROKEN, 0);
    managerSend(this.mgr, { type: 'barrier.reset', id: this.id, sab: this.sab, parties: this.parties });
  }

  get broken(): boolean {
    return Atomics.load(this.#words, BARRIER.BROKEN) === 1;
  }

  /** Parties waiting now. */
  get nWaiting(): number {
    return Atomics.load(this.#words, BARRIER.COUNT);
  }
}

revivable('sync.Barrier', () => new Barrier(1));
