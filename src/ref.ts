/**
 * ActorRef: an actor's address. Its only own enumerable data is `{ __troupe: 'ref', id, name }`, so
 * structured clone carries it between threads; the receiving side revives it (see handles.ts)
 * against its own runtime, which is kept under a symbol that structured clone skips.
 */
import type { ActorRef, ExitReason } from './types.js';
import { registerHandle } from './handles.js';
import type { Runtime } from './runtime.js';

export const RUNTIME = Symbol('troupe.runtime');

export class Ref<M = any> implements ActorRef<M> {
  readonly __troupe = 'ref' as const;
  readonly id: string;
  readonly name: string | undefined;
  declare [RUNTIME]: Runtime;

  constructor(runtime: Runtime, id: string, name: string | undefined) {
    this.id = id;
    this.name = name;
    Object.defineProperty(this, RUNTIME, { value: runtime, enumerable: false });
  }

  send(msg: M, options?: { transfer?: readonly unknown[] }): void {
    const runtime = this[RUNTIME];
    runtime.send(this.id, msg, runtime.currentSender(), options?.transfer);
  }

  ask<R = unknown>(msg: M, options?: { timeout?: number }): Promise<R> {
    const runtime = this[RUNTIME];
    return runtime.ask(this.id, msg, options?.timeout ?? 5000, runtime.currentSender()) as Promise<R>;
  }

  stop(): Promise<void> {
    return this[RUNTIME].stop(this.id, { kind: 'normal' });
  }

  get exited(): Promise<ExitReason> {
    return this[RUNTIME].exited(this.id);
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
