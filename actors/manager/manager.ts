/**
 * The manager actor (Python's SyncManager server, here an actor in main: no extra process): it
 * holds the managed dicts, lists and Namespaces of one `Manager()` and answers their proxies'
 * calls, each call one turn — atomic, so a caller that dies mid-call never leaves an object
 * half-changed. Instances of registered classes live in actors of their own, spawned by this one
 * and so stopped with it. Every answer is an Outcome; only a stopped manager makes an ask reject.
 */
import { defineActor, isDefinition } from '../../src/define.js';
import { serializeError } from '../../src/errors.js';
import { load } from '../../src/hosts/load.js';
import type { ActorContext } from '../../src/types.js';
import { ManagedDict } from './dict.js';
import { ManagedInstance } from './instance.js';
import { ManagedList } from './list.js';
import { ManagedNamespace } from './namespace.js';
import type { BuiltinKind, InstanceInfo, ManagerMessage, Outcome } from './protocol.js';

type Managed = ManagedDict | ManagedList | ManagedNamespace;

class ManagerState {
  readonly objects = new Map<string, Managed>();
  #next = 0;

  make(kind: BuiltinKind, init: unknown): string {
    const id = String(++this.#next);
    this.objects.set(id, kind === 'dict' ? new ManagedDict(init) : kind === 'list' ? new ManagedList(init) : new ManagedNamespace(init));
    return id;
  }

  call(id: string, method: string, args: unknown[]): unknown {
    const obj = this.objects.get(id);
    if (obj === undefined) throw new ReferenceError(`this manager holds no object ${id}`);
    return obj.call(method, args);
  }
}

/** Runs `fn` and turns its result or error into an Outcome. */
function outcome(fn: () => unknown): Outcome {
  try {
    return { ok: true, value: fn() };
  } catch (error) {
    return { ok: false, error: serializeError(error) };
  }
}

async function createInstance(msg: Extract<ManagerMessage, { type: 'create' }>, ctx: ActorContext): Promise<InstanceInfo> {
  const cls = msg.cls ?? (await load(msg.locator!));
  if (typeof cls !== 'function' || isDefinition(cls)) throw new TypeError(`the registered type '${msg.typeid}' is not a class`);
  const ref = await ctx.spawn(ManagedInstance, { placement: 'main', args: [cls, msg.args, msg.exposed] });
  const methods = await ref.ask<string[]>({ type: 'methods' });
  return { id: ref.id, methods };
}

/** The manager actor: placed in main by the managers extension, one per `Manager()`. */
export const ManagerActor = defineActor<ManagerState, ManagerMessage>({
  name: 'Manager',
  init: () => new ManagerState(),
  receive: {
    make: (s, msg, ctx) => {
      ctx.reply(outcome(() => s.make(msg.kind, msg.args[0])));
      return s;
    },
    call: (s, msg, ctx) => {
      ctx.reply(outcome(() => s.call(msg.obj, msg.method, msg.args)));
      return s;
    },
    create: async (s, msg, ctx) => {
      try {
        ctx.reply({ ok: true, value: await createInstance(msg, ctx) } satisfies Outcome);
      } catch (error) {
        ctx.reply({ ok: false, error: serializeError(error) } satisfies Outcome);
      }
      return s;
    },
  },
});
