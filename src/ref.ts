/**
 * ActorRef: an actor's address. Its only own data is `{ __troupe: 'ref', id, name }`, so structured
 * clone and JSON carry it between threads; the receiving side revives it (see handles.ts) against
 * its own runtime. The runtime and the cell cache are private fields, which clones, JSON, spreads
 * and deep equality all skip (and which cost nothing to set, unlike non-enumerable properties).
 */
import type { ActorRef, ExitReason } from './types.js';
import { registerHandle } from './handles.js';
import type { Runtime } from './runtime.js';
import type { Cell } from './cell.js';
import { describe } from './describe.js';
import { ValueError } from './errors.js';

/** The timeout of an ask in ms: 5000 by default; null or Infinity waits forever. */
function askTimeout(options: unknown): number {
  if (options === undefined || options === null) return 5000;
  if (typeof options !== 'object') throw new ValueError(`ask(msg, options?) takes an options object { timeout } (got ${describe(options)}); write ask(msg, { timeout: ms })`);
  const { timeout } = options as { timeout?: unknown };
  if (timeout === undefined) return 5000;
  if (timeout === null) return Infinity;
  if (typeof timeout !== 'number' || !(timeout >= 0)) throw new ValueError(`ask timeout must be a non-negative number of ms, or null / Infinity to wait forever (got ${describe(timeout)})`);
  return timeout;
}

export class Ref<M = any> implements ActorRef<M> {
  readonly __troupe = 'ref' as const;
  readonly id: string;
  readonly name: string | undefined;
  readonly #runtime: Runtime;
  /**
   * The cell this ref last reached in its own thread: a cache checked (alive?) on each send, so a
   * hot in-thread send skips the lookup. A dead cell keeps no state (Cell.die), so a stale ref
   * holds nothing big.
   */
  #cell: Cell | undefined = undefined;

  constructor(runtime: Runtime, id: string, name: string | undefined) {
    this.id = id;
    this.name = name;
    this.#runtime = runtime;
  }

  /** The runtime of a Ref made in this thread, or undefined for anything else. */
  static runtimeOf(value: unknown): Runtime | undefined {
    return typeof value === 'object' && value !== null && #runtime in value ? (value as Ref).#runtime : undefined;
  }

  send(msg: M, options?: { transfer?: readonly unknown[] }): void {
    const runtime = this.#runtime;
    let cell = this.#cell;
    if (cell === undefined || !cell.alive) this.#cell = cell = runtime.cells.get(this.id);
    if (cell !== undefined) runtime.sendToCell(cell, msg, runtime.currentSender());
    else runtime.sendAway(this.id, msg, runtime.currentSender(), options?.transfer);
  }

  ask<R = unknown>(msg: M, options?: { timeout?: number }): Promise<R> {
    const runtime = this.#runtime;
    let timeout: number;
    try {
      timeout = askTimeout(options);
    } catch (error) {
      return Promise.reject(error);
    }
    return runtime.ask(this.id, msg, timeout, runtime.currentSender()) as Promise<R>;
  }

  stop(): Promise<void> {
    return this.#runtime.stop(this.id, { kind: 'normal' });
  }

  get exited(): Promise<ExitReason> {
    return this.#runtime.exited(this.id);
  }

  toString(): string {
    return `ActorRef<${this.name ?? this.id}>`;
  }

  /** Its wire form: JSON text carries a ref between threads as well as structured clone does. */
  toJSON(): { __troupe: 'ref'; id: string; name: string | undefined } {
    return { __troupe: 'ref', id: this.id, name: this.name };
  }
}

export function isRef(value: unknown): value is Ref {
  return value instanceof Ref;
}

registerHandle('ref', (data: { id: string; name: string | undefined }, runtime) => new Ref(runtime, data.id, data.name));
