/**
 * Proxies, as CPython's multiprocessing/managers.py has them (DictProxy, ListProxy,
 * NamespaceProxy, AutoProxy): handles whose methods are asks to the actor that holds the object
 * and return Promises. A proxy is plain data (ProxyData: server id, object id, kind) so it
 * travels to any thread, and stored inside another managed object it comes back a live proxy.
 */
import { registerHandle } from '../../handles.js';
import type { ProxyData, ProxyKind } from '../../../actors/manager/protocol.js';
import { ask } from './client.js';

/** A proxy to an instance of a registered class: its methods, made async. */
export type Proxy<T> = { [K in keyof T]: T[K] extends (...args: infer A) => infer R ? (...args: A) => Promise<Awaited<R>> : never };

/** What every proxy is made of (all of it travels). */
export abstract class BaseProxy {
  declare readonly __troupe: 'manager.proxy';
  declare readonly __kind: ProxyKind;
  declare readonly __mgr: string;
  declare readonly __obj: string;
  declare readonly __typeid: string;

  protected callMethod<R>(method: string, args: unknown[]): Promise<R> {
    return ask(this.__mgr, { type: 'call', obj: this.__obj, method, args }, `${this.constructor.name}.${method}()`) as Promise<R>;
  }

  toString(): string {
    return `<${this.constructor.name} object, typeid '${this.__typeid}'>`;
  }
}

function pairsOf(entries: unknown): unknown[] {
  if (entries instanceof Map) return [...entries];
  if (typeof entries === 'object' && entries !== null && typeof (entries as Iterable<unknown>)[Symbol.iterator] === 'function') return [...(entries as Iterable<unknown>)];
  if (typeof entries === 'object' && entries !== null) return Object.entries(entries);
  throw new TypeError(`expected an object, a Map or an iterable of [key, value] pairs (got ${entries === null ? 'null' : typeof entries})`);
}

function itemsOf(values: unknown, what: string): unknown[] {
  if (typeof values === 'string' || (typeof values === 'object' && values !== null && typeof (values as Iterable<unknown>)[Symbol.iterator] === 'function')) {
    return [...(values as Iterable<unknown>)];
  }
  throw new TypeError(`${what} takes an iterable (got ${values === null ? 'null' : typeof values})`);
}

/**
 * A managed dict (`await manager.dict()`): keys keep their type (1 and '1' differ), `get(key)`
 * and `pop(key)` without a fallback and `delete(key)` reject KeyError for a missing key.
 */
export class DictProxy<K extends string | number = string, V = unknown> extends BaseProxy {
  /** `d[key]`, or with a fallback `d.get(key, fallback)` */
  get(key: K, fallback?: V): Promise<V | undefined> {
    return this.callMethod('get', arguments.length > 1 ? [key, fallback] : [key]);
  }
  set(key: K, value: V): Promise<void> {
    return this.callMethod('set', [key, value]);
  }
  delete(key: K): Promise<void> {
    return this.callMethod('delete', [key]);
  }
  has(key: K): Promise<boolean> {
    return this.callMethod('has', [key]);
  }
  keys(): Promise<K[]> {
    return this.callMethod('keys', []);
  }
  values(): Promise<V[]> {
    return this.callMethod('values', []);
  }
  items(): Promise<[K, V][]> {
    return this.callMethod('items', []);
  }
  update(entries: Record<string, V> | Iterable<[K, V]>): Promise<void> {
    try {
      return this.callMethod('update', [pairsOf(entries)]);
    } catch (error) {
      return Promise.reject(error);
    }
  }
  pop(key: K, fallback?: V): Promise<V> {
    return this.callMethod('pop', arguments.length > 1 ? [key, fallback] : [key]);
  }
  setdefault(key: K, value: V): Promise<V> {
    return this.callMethod('setdefault', [key, value]);
  }
  clear(): Promise<void> {
    return this.callMethod('clear', []);
  }
  len(): Promise<number> {
    return this.callMethod('len', []);
  }
  /** A plain-object copy (keys become strings; items() keeps their types). */
  copy(): Promise<Record<string, V>> {
    return this.callMethod('copy', []);
  }
}

/** A managed list (`await manager.list()`): Python's indexing, equality and sort order. */
export class ListProxy<T = unknown> extends BaseProxy {
  /** `l[index]` (negative from the end); RangeError out of range */
  get(index: number): Promise<T> {
    return this.callMethod('get', [index]);
  }
  set(index: number, value: T): Promise<void> {
    return this.callMethod('set', [index, value]);
  }
  append(value: T): Promise<void> {
    return this.callMethod('append', [value]);
  }
  extend(values: Iterable<T>): Promise<void> {
    try {
      return this.callMethod('extend', [itemsOf(values, 'extend()')]);
    } catch (error) {
      return Promise.reject(error);
    }
  }
  insert(index: number, value: T): Promise<void> {
    return this.callMethod('insert', [index, value]);
  }
  pop(index?: number): Promise<T> {
    return this.callMethod('pop', index === undefined ? [] : [index]);
  }
  /** removes the first item equal to `value`; ValueError if none */
  remove(value: T): Promise<void> {
    return this.callMethod('remove', [value]);
  }
  index(value: T): Promise<number> {
    return this.callMethod('index', [value]);
  }
  count(value: T): Promise<number> {
    return this.callMethod('count', [value]);
  }
  /** Python's order (numbers by value, strings by code point); TypeError for mixed types, list unchanged */
  sort(options?: { reverse?: boolean }): Promise<void> {
    return this.callMethod('sort', [{ reverse: options?.reverse === true }]);
  }
  reverse(): Promise<void> {
    return this.callMethod('reverse', []);
  }
  len(): Promise<number> {
    return this.callMethod('len', []);
  }
  /** `l[start:end]` with Python's bounds */
  slice(start?: number, end?: number): Promise<T[]> {
    return this.callMethod('slice', [start, end]);
  }
  copy(): Promise<T[]> {
    return this.callMethod('copy', []);
  }
}

/** A managed Namespace (`await manager.Namespace()`): named attributes shared by every process. */
export class NamespaceProxy extends BaseProxy {
  /** the attribute; TypeError (Python's AttributeError) if it is not set */
  get<T = unknown>(attr: string): Promise<T> {
    return this.callMethod('get', [attr]);
  }
  set(attr: string, value: unknown): Promise<void> {
    return this.callMethod('set', [attr, value]);
  }
  delete(attr: string): Promise<void> {
    return this.callMethod('delete', [attr]);
  }
  toObject(): Promise<Record<string, unknown>> {
    return this.callMethod('toObject', []);
  }
}

/** A registered class's instance proxy: one async method per public method (Python's AutoProxy). */
class InstanceProxy extends BaseProxy {
  declare readonly __methods: string[];
}

const PROTOTYPES: Record<Exclude<ProxyKind, 'instance'>, object> = {
  dict: DictProxy.prototype,
  list: ListProxy.prototype,
  namespace: NamespaceProxy.prototype,
};

/** A live proxy from its data (a new one, or one that arrived from another thread). */
export function makeProxy(data: ProxyData): BaseProxy {
  const proxy = Object.create(data.__kind === 'instance' ? InstanceProxy.prototype : PROTOTYPES[data.__kind]) as BaseProxy;
  Object.assign(proxy, {
    __troupe: 'manager.proxy',
    __kind: data.__kind,
    __mgr: data.__mgr,
    __obj: data.__obj,
    __typeid: data.__typeid,
  } satisfies ProxyData);
  if (data.__kind === 'instance') {
    const methods = [...(data.__methods ?? [])];
    (proxy as unknown as { __methods: string[] }).__methods = methods;
    for (const method of methods) {
      // not enumerable: a proxy's own enumerable data is what travels
      Object.defineProperty(proxy, method, {
        value: (...args: unknown[]) => ask(data.__mgr, { type: 'call', method, args }, `${data.__typeid}.${method}()`, true),
        enumerable: false,
      });
    }
  }
  return proxy;
}

registerHandle('manager.proxy', (data: ProxyData) => makeProxy(data));
