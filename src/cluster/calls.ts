/**
 * Calls between nodes (a remote spawn, a stop, an exit wait): an op with a call id on the pair's
 * stream, answered on the way back. A call always settles: with its answer, or — when the callee's
 * node goes down first — with NoProcError (or the caller's fallback value, e.g. an exit wait
 * resolves `{ killed, nodedown }`).
 */
import { NoProcError, reviveError, serializeError } from '../errors.js';
import type { Sequenced } from './frame.js';

interface Pending {
  node: string;
  resolve(value: unknown): void;
  reject(error: unknown): void;
  fallback?: { value: unknown };
}

export class Calls {
  private readonly pending = new Map<number, Pending>();
  private next = 1;

  constructor(private readonly send: (node: string, packet: Sequenced, json: boolean) => void) {}

  call(node: string, op: string, args: unknown[], pairs?: Array<[string, string]>, fallback?: { value: unknown }): Promise<unknown> {
    const c = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(c, { node, resolve, reject, fallback });
      try {
        this.send(node, pairs && pairs.length > 0 ? { k: 'o', op, args, c, l: pairs } : { k: 'o', op, args, c }, false);
      } catch (error) {
        this.pending.delete(c);
        reject(error);
      }
    });
  }

  /** Answers a call that arrived from `node` with what `run` settles to. */
  answer(node: string, c: number, run: () => unknown, pairs: (value: unknown) => Array<[string, string]> | undefined, wire: (value: unknown) => unknown): void {
    let result: Promise<unknown>;
    try {
      result = Promise.resolve(run());
    } catch (error) {
      result = Promise.reject(error);
    }
    result.then(
      (answer) => {
        const value = wire(answer);
        const l = pairs(value);
        this.send(node, l ? { k: 'c', c, ok: true, value, l } : { k: 'c', c, ok: true, value }, false);
      },
      (error: unknown) => this.send(node, { k: 'c', c, ok: false, value: serializeError(error) }, false),
    );
  }

  settle(c: number, ok: boolean, value: unknown): void {
    const pending = this.pending.get(c);
    if (!pending) return;
    this.pending.delete(c);
    if (ok) pending.resolve(value);
    else pending.reject(reviveError(value));
  }

  /** `node` went down: its calls settle now. */
  down(node: string): void {
    for (const [c, pending] of this.pending) {
      if (pending.node !== node) continue;
      this.pending.delete(c);
      if (pending.fallback) pending.resolve(pending.fallback.value);
      else pending.reject(new NoProcError(`the node ${node} went down before it answered; retry on a live node (system.nodes())`));
    }
  }

  /** Leaving: nothing will answer any more. */
  rejectAll(error: Error): void {
    for (const [c, pending] of this.pending) {
      this.pending.delete(c);
      if (pending.fallback) pending.resolve(pending.fallback.value);
      else pending.reject(error);
    }
  }
}
