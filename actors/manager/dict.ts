/**
 * A managed dict (Python's `manager.dict()`): insertion-ordered, keyed by Python equality — a
 * Map from each key's canonical form (python.ts) to the key as first given and its value, so 1
 * and '1' stay two keys. Every method runs whole inside one manager turn, so a caller that dies
 * mid-call never leaves it half-changed. Missing keys raise KeyError, as in Python.
 */
import { KeyError } from '../../src/errors.js';
import { hashKey, repr } from './python.js';

function missing(key: unknown): KeyError {
  return new KeyError(repr(key), { key });
}

/** The dict a DictProxy stands for; `call` runs one of its methods. */
export class ManagedDict {
  readonly #entries = new Map<string, [unknown, unknown]>();

  constructor(init: unknown) {
    if (init !== undefined && init !== null) this.update(init);
  }

  /** Runs one method with the arguments a proxy sent (their count matters: fallbacks). */
  call(method: string, args: unknown[]): unknown {
    const [key, value] = args;
    switch (method) {
      case 'get': {
        const entry = this.#entries.get(hashKey(key));
        if (entry) return entry[1];
        if (args.length > 1) return value;
        throw missing(key);
      }
      case 'set':
        this.#set(key, value);
        return undefined;
      case 'delete':
        if (!this.#entries.delete(hashKey(key))) throw missing(key);
        return undefined;
      case 'has':
        return this.#entries.has(hashKey(key));
      case 'keys':
        return [...this.#entries.values()].map(([k]) => k);
      case 'values':
        return [...this.#entries.values()].map(([, v]) => v);
      case 'items':
        return [...this.#entries.values()].map(([k, v]) => [k, v]);
      case 'update':
        this.update(key);
        return undefined;
      case 'pop': {
        const hash = hashKey(key);
        const entry = this.#entries.get(hash);
        if (entry) {
          this.#entries.delete(hash);
          return entry[1];
        }
        if (args.length > 1) return value;
        throw missing(key);
      }
      case 'setdefault': {
        const entry = this.#entries.get(hashKey(key));
        if (entry) return entry[1];
        const initial = args.length > 1 ? value : null;
        this.#set(key, initial);
        return initial;
      }
      case 'clear':
        this.#entries.clear();
        return undefined;
      case 'len':
        return this.#entries.size;
      case 'copy':
        return Object.fromEntries([...this.#entries.values()].map(([k, v]) => [String(k), v]));
      default:
        throw new TypeError(`'DictProxy' object has no method '${method}'`);
    }
  }

  /** Adds key/value pairs (an array of pairs, or an object's own entries); checks every key first. */
  update(entries: unknown): void {
    const pairs = Array.isArray(entries) ? entries : typeof entries === 'object' && entries !== null ? Object.entries(entries) : undefined;
    if (pairs === undefined) throw new TypeError(`update() takes an object or key/value pairs (got ${typeof entries})`);
    for (const pair of pairs) {
      if (!Array.isArray(pair) || pair.length !== 2) throw new TypeError(`dictionary update sequence element ${repr(pair)} is not a [key, value] pair`);
      hashKey(pair[0]);
    }
    for (const [k, v] of pairs as [unknown, unknown][]) this.#set(k, v);
  }

  #set(key: unknown, value: unknown): void {
    const hash = hashKey(key);
    const entry = this.#entries.get(hash);
    // Python keeps the first key object of equal keys (d[1] = 'a'; d[True] = 'b' → {1: 'b'})
    if (entry) entry[1] = value;
    else this.#entries.set(hash, [key, value]);
  }
}
