/**
 * Manager() and SyncManager, as CPython's multiprocessing/managers.py has them (DESIGN §4.8). The
 * server is a manager actor in main (actors/manager/), not a process: dict(), list() and
 * Namespace() make objects it holds and return proxies. Queue, locks, Event, Condition, Barrier,
 * Value and Array are troupe's own objects, which already live in main or in shared memory and
 * work in every process: they are returned as they are (no proxy in between), and keep working
 * after shutdown(). register(typeid, Class) + create(typeid, ...args) make an instance in an actor
 * of its own, owned by the manager. After shutdown() every call rejects RuntimeError.
 */
import { callerModule, findExport, taskModule, type Locator } from '../../define.js';
import { mainSystem } from '../../default-system.js';
import { describe } from '../../describe.js';
import { ValueError } from '../../errors.js';
import { extensionCall, inWorker } from '../../kernel-call.js';
import { MANAGERS } from '../../../actors/manager/extension.js';
import type { BuiltinKind, InstanceInfo, ProxyData } from '../../../actors/manager/protocol.js';
import { JoinableQueue, Queue } from '../queue.js';
import { SharedArray, Value } from '../sharedctypes/synchronized.js';
import type { TypeCode } from '../sharedctypes/typecodes.js';
import { Barrier } from '../synchronize/barrier.js';
import { Condition } from '../synchronize/condition.js';
import { Event } from '../synchronize/event.js';
import { Lock, RLock } from '../synchronize/mutex.js';
import { BoundedSemaphore, Semaphore } from '../synchronize/semaphore.js';
import { ask, managerGone } from './client.js';
import { makeProxy, type DictProxy, type ListProxy, type NamespaceProxy, type Proxy } from './proxies.js';

type Class = new (...args: any[]) => object;

interface Registered {
  cls: Class;
  /** the methods its proxies have (default: the public ones) */
  exposed: string[] | undefined;
  /** the module to find it in when the manager is asked from a worker */
  module: string | undefined;
}

/**
 * A running manager (Python's SyncManager). Made by `await Manager()`; ended by `shutdown()` or
 * `await using manager = await Manager()`.
 */
export class SyncManager {
  /** the manager actor's id */
  readonly id: string;
  readonly #types = new Map<string, Registered>();
  #down = false;

  /** @internal use `await Manager()` */
  constructor(id: string) {
    this.id = id;
  }

  /** A managed dict, from an object, a Map or [key, value] pairs. */
  dict<K extends string | number = string, V = unknown>(init?: Record<string, V> | Iterable<[K, V]>): Promise<DictProxy<K, V>> {
    return this.#make('dict', 'dict', init === undefined ? undefined : init instanceof Map || isIterable(init) ? [...(init as Iterable<unknown>)] : init);
  }

  /** A managed list, from any iterable. */
  list<T = unknown>(init?: Iterable<T>): Promise<ListProxy<T>> {
    if (init !== undefined && !isIterable(init)) return Promise.reject(new TypeError(`list(init) takes an iterable (got ${typeof init})`));
    return this.#make('list', 'list', init === undefined ? undefined : [...init]);
  }

  /** A managed Namespace (Python's `Namespace(**kwargs)`: optional initial attributes). */
  Namespace(init?: Record<string, unknown>): Promise<NamespaceProxy> {
    return this.#make('namespace', 'Namespace', init);
  }

  Queue<T = unknown>(maxsize?: number): Promise<Queue<T>> {
    return this.#local(() => new Queue<T>(maxsize));
  }
  JoinableQueue<T = unknown>(maxsize?: number): Promise<JoinableQueue<T>> {
    return this.#local(() => new JoinableQueue<T>(maxsize));
  }
  Lock(): Promise<Lock> {
    return this.#local(() => new Lock());
  }
  RLock(): Promise<RLock> {
    return this.#local(() => new RLock());
  }
  Semaphore(value?: number): Promise<Semaphore> {
    return this.#local(() => new Semaphore(value));
  }
  BoundedSemaphore(value?: number): Promise<BoundedSemaphore> {
    return this.#local(() => new BoundedSemaphore(value));
  }
  Event(): Promise<Event> {
    return this.#local(() => new Event());
  }
  Condition(lock?: Lock | RLock): Promise<Condition> {
    return this.#local(() => new Condition(lock));
  }
  Barrier(parties: number, action?: () => unknown, timeout?: number | null): Promise<Barrier> {
    return this.#local(() => new Barrier(parties, action, timeout));
  }
  /** A synchronized shared Value (troupe's own, with its lock). */
  Value<T extends number | bigint = number>(typecode: TypeCode, value?: T): Promise<Value<T>> {
    return this.#local(() => new Value<T>(typecode, value));
  }
  /** A synchronized shared Array (troupe's own, with its lock). */
  Array<T extends number | bigint = number>(typecode: TypeCode, sizeOrInitializer: number | Iterable<T>): Promise<SharedArray<T>> {
    return this.#local(() => new SharedArray<T>(typecode, sizeOrInitializer));
  }

  /**
   * Python's `register(typeid, callable, exposed=...)`: `create(typeid, ...args)` then makes an
   * instance of `cls`, held by an actor of its own; its proxy has the `exposed` methods (default:
   * the public ones, not `_`-prefixed). A manager made inside a worker needs `cls` exported from a
   * module (`module`, else task(cls)'s, else the module that calls register()).
   */
  register(typeid: string, cls: Class, options: { exposed?: readonly string[]; module?: string } = {}): void {
    if (typeof typeid !== 'string' || typeid === '') throw new TypeError('register(typeid, cls): typeid must be a non-empty string');
    if (typeof cls !== 'function' || cls.prototype === undefined) throw new TypeError(`register('${typeid}', cls): cls must be a class (got ${typeof cls})`);
    const { exposed, module } = options;
    if (exposed !== undefined && (!Array.isArray(exposed) || exposed.some((name) => typeof name !== 'string'))) {
      throw new TypeError(`register('${typeid}', cls, { exposed }): exposed must be an array of method names`);
    }
    this.#types.set(typeid, { cls, exposed: exposed ? [...exposed] : undefined, module: module ?? taskModule(cls) ?? callerModule(2) });
  }

  /** A proxy to a new instance of the class registered as `typeid`; its methods return Promises. */
  async create<T = any>(typeid: string, ...args: unknown[]): Promise<Proxy<T>> {
    if (typeof typeid !== 'string') throw new TypeError(`create(typeid, ...args): typeid must be the string given to register() (got ${describe(typeid)})`);
    this.#open(`create('${typeid}')`);
    const type = this.#types.get(typeid);
    if (type === undefined) throw new ValueError(`unknown typeid '${typeid}': register('${typeid}', Class) first`);
    const target: { cls?: Class; locator?: Locator } = inWorker()
      ? { locator: await findExport(type.cls, type.module, `the class registered as '${typeid}'`) }
      : { cls: type.cls };
    const info = (await ask(this.id, { type: 'create', typeid, ...target, exposed: type.exposed, args }, `create('${typeid}')`, true)) as InstanceInfo;
    return makeProxy({ __troupe: 'manager.proxy', __kind: 'instance', __mgr: info.id, __obj: '', __typeid: typeid, __methods: info.methods }) as unknown as Proxy<T>;
  }

  /** Stops the manager: its objects are gone, later proxy calls reject RuntimeError. Idempotent. */
  async shutdown(): Promise<void> {
    if (this.#down) return;
    this.#down = true;
    if (inWorker()) await extensionCall(MANAGERS, 'stop', [this.id]);
    else await mainSystem().extension(MANAGERS).stop(this.id);
  }

  /** `await using manager = await Manager()` shuts it down at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.shutdown();
  }

  toString(): string {
    return `<SyncManager ${this.id}${this.#down ? ' shut down' : ''}>`;
  }

  #open(what: string): void {
    if (this.#down) throw managerGone(`manager.${what}`);
  }

  async #make<P>(kind: BuiltinKind, typeid: string, init: unknown): Promise<P> {
    this.#open(`${typeid}()`);
    const obj = (await ask(this.id, { type: 'make', kind, args: [init] }, `manager.${typeid}()`)) as string;
    return makeProxy({ __troupe: 'manager.proxy', __kind: kind, __mgr: this.id, __obj: obj, __typeid: typeid } satisfies ProxyData) as P;
  }

  async #local<T>(make: () => T): Promise<T> {
    this.#open('a new object');
    return make();
  }
}

function isIterable(value: unknown): value is Iterable<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as Iterable<unknown>)[Symbol.iterator] === 'function';
}

/**
 * Starts a manager (Python's `multiprocessing.Manager()`): an actor in the main thread, whatever
 * thread calls this, serving the dicts, lists, Namespaces and registered classes it makes.
 *
 * @example
 * await using manager = await Manager();
 * const d = await manager.dict();
 * await d.set(1, '1');
 */
export async function Manager(): Promise<SyncManager> {
  const id = inWorker() ? ((await extensionCall(MANAGERS, 'start', [])) as string) : mainSystem().extension(MANAGERS).start();
  return new SyncManager(id);
}
