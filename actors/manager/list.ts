/**
 * A managed list (Python's `manager.list()`): Python's index rules (negative from the end,
 * IndexError → RangeError), equality for remove/index/count, and a sort that orders like
 * Python's and is all-or-nothing (a TypeError from mixed types leaves the list as it was). Every
 * method runs whole inside one manager turn.
 */
import { ValueError } from '../../src/errors.js';
import { pyEquals, pySorted, repr, typeName } from './python.js';

function integer(index: unknown): number {
  if (typeof index !== 'number' || !Number.isInteger(index)) throw new TypeError(`list indices must be integers, not ${typeName(index)}`);
  return index;
}

/** The list a ListProxy stands for; `call` runs one of its methods. */
export class ManagedList {
  #items: unknown[];

  constructor(init: unknown) {
    this.#items = init === undefined || init === null ? [] : [...(init as unknown[])];
  }

  /** Runs one method with the arguments a proxy sent. */
  call(method: string, args: unknown[]): unknown {
    const items = this.#items;
    const [a, b] = args;
    switch (method) {
      case 'get':
        return items[this.#at(a, 'list index out of range')];
      case 'set':
        items[this.#at(a, 'list assignment index out of range')] = b;
        return undefined;
      case 'append':
        items.push(a);
        return undefined;
      case 'extend':
        if (!Array.isArray(a)) throw new TypeError(`extend() takes an iterable (got ${typeName(a)})`);
        items.push(...a);
        return undefined;
      case 'insert': {
        const at = integer(a);
        items.splice(at < 0 ? Math.max(0, at + items.length) : Math.min(at, items.length), 0, b);
        return undefined;
      }
      case 'pop': {
        if (items.length === 0) throw new RangeError('pop from empty list');
        const at = this.#at(args.length > 0 && a !== undefined ? a : -1, 'pop index out of range');
        return items.splice(at, 1)[0];
      }
      case 'remove': {
        const at = items.findIndex((item) => pyEquals(item, a));
        if (at < 0) throw new ValueError('list.remove(x): x not in list');
        items.splice(at, 1);
        return undefined;
      }
      case 'index': {
        const at = items.findIndex((item) => pyEquals(item, a));
        if (at < 0) throw new ValueError(`${repr(a)} is not in list`);
        return at;
      }
      case 'count':
        return items.reduce((n: number, item) => (pyEquals(item, a) ? n + 1 : n), 0);
      case 'sort': {
        const reverse = (a as { reverse?: unknown } | undefined)?.reverse;
        this.#items = pySorted(items, reverse === true);
        return undefined;
      }
      case 'reverse':
        items.reverse();
        return undefined;
      case 'len':
        return items.length;
      case 'slice':
        return items.slice(...this.#bounds(a, b));
      case 'copy':
        return items.slice();
      default:
        throw new TypeError(`'ListProxy' object has no method '${method}'`);
    }
  }

  #at(index: unknown, message: string): number {
    const i = integer(index);
    const at = i < 0 ? i + this.#items.length : i;
    if (at < 0 || at >= this.#items.length) throw new RangeError(`${message} (index ${i}, length ${this.#items.length}; Python's IndexError)`);
    return at;
  }

  /** Python's slice bounds: negatives from the end, clamped. */
  #bounds(start: unknown, end: unknown): [number, number] {
    const length = this.#items.length;
    const clamp = (value: unknown, fallback: number): number => {
      if (value === undefined || value === null) return fallback;
      const i = integer(value);
      return i < 0 ? Math.max(0, i + length) : Math.min(i, length);
    };
    return [clamp(start, 0), clamp(end, length)];
  }
}
