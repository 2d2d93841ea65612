/**
 * An instance of a class registered with `manager.register(typeid, Class)`, in an actor of its
 * own (Python's manager serves each such object from its server): every proxy call is one turn
 * of this actor, so calls run one at a time in arrival order, async methods included. A method's
 * error is answered to its caller (the actor goes on); only the exposed methods may be called:
 * those register() was given, else the public ones (not `_`-prefixed, as Python's AutoProxy).
 */
import { defineActor } from '../../src/define.js';
import { serializeError } from '../../src/errors.js';
import type { ActorContext } from '../../src/types.js';
import type { InstanceMessage, Outcome } from './protocol.js';

interface InstanceState {
  readonly obj: Record<string, unknown>;
  readonly methods: string[];
}

/** Python's public_methods(): callables reachable on the object whose names do not start with `_`. */
function publicMethods(obj: object): string[] {
  const names = new Set<string>();
  for (let proto: object | null = obj; proto !== null && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      if (name === 'constructor' || name.startsWith('_')) continue;
      const descriptor = Object.getOwnPropertyDescriptor(proto, name);
      if (typeof descriptor?.value === 'function') names.add(name);
    }
  }
  return [...names];
}

/** The actor holding one instance of a registered class: args `[cls, constructorArgs, exposed?]`. */
export const ManagedInstance = defineActor<InstanceState, InstanceMessage>({
  name: 'ManagedInstance',
  /** `exposed`: the method names register() was given (Python's `exposed`), else the public ones */
  init: (_ctx: ActorContext, cls: new (...args: unknown[]) => object, args: unknown[], exposed?: string[]) => {
    const obj = new cls(...args) as Record<string, unknown>;
    const methods = exposed ?? publicMethods(obj);
    for (const name of methods) {
      if (typeof obj[name] !== 'function') throw new TypeError(`exposed method '${name}' is not a method of ${cls.name || 'the class'}`);
    }
    return { obj, methods };
  },
  receive: {
    methods: (s, _msg, ctx) => {
      ctx.reply(s.methods);
      return s;
    },
    call: async (s, msg, ctx) => {
      let outcome: Outcome;
      try {
        if (!s.methods.includes(msg.method)) {
          throw new TypeError(`'${s.obj.constructor?.name ?? 'object'}' object has no exposed method '${msg.method}'`);
        }
        const value = await (s.obj[msg.method] as (...args: unknown[]) => unknown)(...msg.args);
        outcome = { ok: true, value };
      } catch (error) {
        outcome = { ok: false, error: serializeError(error) };
      }
      ctx.reply(outcome);
      return s;
    },
  },
});
