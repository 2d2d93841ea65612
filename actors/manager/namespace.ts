/**
 * A managed Namespace (Python's `manager.Namespace()`): named attributes; reading or deleting one
 * that is not there raises Python's AttributeError, here a TypeError with Python's message.
 */
import { typeName } from './python.js';

function attribute(name: unknown): string {
  if (typeof name !== 'string') throw new TypeError(`attribute name must be string, not '${typeName(name)}'`);
  return name;
}

function noAttribute(name: string): TypeError {
  return new TypeError(`'Namespace' object has no attribute '${name}' (Python's AttributeError)`);
}

/** The attributes a NamespaceProxy stands for; `call` runs one of its methods. */
export class ManagedNamespace {
  readonly #attrs = new Map<string, unknown>();

  constructor(init: unknown) {
    if (typeof init === 'object' && init !== null) for (const [name, value] of Object.entries(init)) this.#attrs.set(name, value);
  }

  /** Runs one method with the arguments a proxy sent. */
  call(method: string, args: unknown[]): unknown {
    switch (method) {
      case 'get': {
        const name = attribute(args[0]);
        if (!this.#attrs.has(name)) throw noAttribute(name);
        return this.#attrs.get(name);
      }
      case 'set':
        this.#attrs.set(attribute(args[0]), args[1]);
        return undefined;
      case 'delete': {
        const name = attribute(args[0]);
        if (!this.#attrs.delete(name)) throw noAttribute(name);
        return undefined;
      }
      case 'toObject':
        return Object.fromEntries(this.#attrs);
      default:
        throw new TypeError(`'NamespaceProxy' object has no method '${method}'`);
    }
  }
}
