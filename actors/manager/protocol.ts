/**
 * The manager's protocol, shared by the manager actor (manager.ts), the actors holding
 * registered-class instances (instance.ts) and the proxies that talk to them
 * (src/multiprocessing/managers/): the messages, the outcome every call answers with, and the
 * data a proxy is made of (all of it travels, so a proxy works in any thread).
 */
import type { Locator } from '../../src/define.js';

/** What a proxy stands for: a managed dict, list or Namespace, or an instance of a registered class. */
export type ProxyKind = 'dict' | 'list' | 'namespace' | 'instance';

/** The built-in kinds a manager holds itself. */
export type BuiltinKind = Exclude<ProxyKind, 'instance'>;

/** A proxy's own data: who serves it (`__mgr`, an actor id) and which object (`__obj`). */
export interface ProxyData {
  __troupe: 'manager.proxy';
  __kind: ProxyKind;
  /** the actor that serves calls: the manager, or the instance's own actor */
  __mgr: string;
  /** the object's id in its manager ('' for an instance) */
  __obj: string;
  /** Python's typeid: 'dict', 'list', 'Namespace', or the registered name */
  __typeid: string;
  /** an instance proxy's public methods */
  __methods?: string[];
}

/** Is `value` a proxy (or a proxy's data in flight)? */
export function isProxyData(value: unknown): value is ProxyData {
  return typeof value === 'object' && value !== null && (value as { __troupe?: unknown }).__troupe === 'manager.proxy';
}

/**
 * How every call is answered: its value or the error it raised (serialized, so it crosses threads
 * as its own class). The ask itself rejects only when the manager is gone.
 */
export type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/** Messages a manager actor takes. */
export type ManagerMessage =
  /** a new dict (args[0]: key/value pairs), list (items) or Namespace (attributes); answers its id */
  | { type: 'make'; kind: BuiltinKind; args: [unknown] }
  /** a method of a managed object; answers its result */
  | { type: 'call'; obj: string; method: string; args: unknown[] }
  /** an instance of a registered class, in an actor of its own (owned by the manager); answers InstanceInfo */
  | { type: 'create'; typeid: string; cls?: new (...args: unknown[]) => object; locator?: Locator; exposed?: string[]; args: unknown[] };

/** What `create` answers: the instance actor and its public methods. */
export interface InstanceInfo {
  id: string;
  methods: string[];
}

/** Messages an instance actor takes. */
export type InstanceMessage =
  | { type: 'call'; method: string; args: unknown[] }
  | { type: 'methods' };
