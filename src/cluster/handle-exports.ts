/**
 * The owning node's side of handles across nodes (handle-proxy.ts): a handle leaving this node is
 * kept here under a token, and the calls other nodes make on their proxies of it run on it here,
 * as the remote actor that made them (so a lock's holder or a queue's consumer is that actor).
 */
import { newId } from '../id.js';
import { active, holdAsyncIdentity } from '../caller.js';
import { NoProcError } from '../errors.js';
import { reviveHandles } from '../handles.js';
import type { Runtime } from '../runtime.js';
import type { RemoteHandleData } from './handle-proxy.js';
import type { NodePart } from './node.js';

/** Kinds that travel as they are: refs carry their node, errors are data. */
const TRAVELS = new Set(['ref', 'error', 'remote']);

export class HandleExports implements NodePart {
  private readonly exported = new Map<string, object>();

  constructor(
    private readonly node: string,
    private readonly runtime: Runtime,
  ) {}

  /** `value` with every handle that must stay here replaced by its remote form (copies, never in place). */
  export<T>(value: T, holder: string, depth = 0): T {
    if (typeof value !== 'object' || value === null || depth > 32 || ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return value;
    const kind = (value as { __troupe?: unknown }).__troupe;
    if (typeof kind === 'string') return (TRAVELS.has(kind) ? value : this.exportOne(value as Record<string, unknown>, kind, holder)) as T;
    if (Array.isArray(value)) {
      let out: unknown[] | undefined;
      value.forEach((item, i) => {
        const next = this.export(item, holder, depth + 1);
        if (next !== item) (out ??= value.slice())[i] = next;
      });
      return (out ?? value) as T;
    }
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) return value;
    let out: Record<string, unknown> | undefined;
    for (const key in value) {
      const item = (value as Record<string, unknown>)[key];
      const next = this.export(item, holder, depth + 1);
      if (next !== item) (out ??= { ...(value as Record<string, unknown>) })[key] = next;
    }
    return (out ?? value) as T;
  }

  private exportOne(wire: Record<string, unknown>, kind: string, holder: string): RemoteHandleData {
    const token = newId();
    // a live handle of this node, held on behalf of the remote actor it was sent to
    this.exported.set(token, reviveHandles(wire, this.runtime, holder) as object);
    const props: RemoteHandleData['props'] = {};
    for (const key in wire) {
      const v = wire[key];
      if (key !== '__troupe' && (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean')) props[key] = v;
    }
    return { __troupe: 'remote', node: this.node, token, kind, props };
  }

  handle(token: string): object | undefined {
    return this.exported.get(token);
  }

  /** A call another node made on its proxy of one of our handles. */
  serve(_from: string, op: string, args: unknown[]): unknown {
    if (op !== 'invoke') throw new NoProcError(`unknown handle operation ${op}`);
    const [token, method, params, caller] = args as [string, string, unknown[], string | undefined];
    const handle = this.exported.get(token) as Record<string, unknown> | undefined;
    if (!handle) throw new NoProcError('this handle is no longer known on its node (the node restarted?)');
    const member = handle[method];
    if (typeof member !== 'function') return member;
    const call = (): unknown => (member as (...a: unknown[]) => unknown).apply(handle, params);
    return caller === undefined ? call() : asCaller(caller, call);
  }
}

/**
 * Runs `fn` as the remote actor `caller` (what caller.ts reports, across awaits too): a lock it
 * takes is held by that actor, which the lock manager monitors — so its exit, or its node going
 * down, frees the lock as for any holder.
 */
function asCaller(caller: string, fn: () => unknown): unknown {
  const identity = holdAsyncIdentity();
  const previous = active.id;
  active.id = caller;
  try {
    return identity.run(caller, fn);
  } finally {
    active.id = previous;
  }
}
