/**
 * What a supervisor knows of its children (OTP's #child records and the dynamic set): the static
 * children in start order, the simple_one_for_one instances, and the index from a running actor's
 * id to its child. Each child's `pid` is its state: a ref while running, null when not running,
 * 'restarting' while a restart is pending (a backoff delay, or a retry after a failed start).
 */
import type { ActorRef, ChildCounts, ChildRow } from '../src/types.js';
import type { NormalChildSpec } from './child-spec.js';

/** A backoff timer; the children restarted when it fires point at it. */
export interface Delayed {
  timer: NodeJS.Timeout;
}

/** One child as its supervisor tracks it. */
export interface Child {
  spec: NormalChildSpec;
  /** simple_one_for_one: the extra args given to startChild */
  extra: readonly unknown[] | undefined;
  /** the running actor, null when not running, 'restarting' while a restart is pending */
  pid: ActorRef | null | 'restarting';
  /** id of the last actor that ran this child: its snapshot feeds restartFrom 'snapshot' */
  lastId: string | undefined;
  startedAt: number;
  /** successful restarts so far */
  restarts: number;
  /** consecutive backoff attempts */
  attempts: number;
  /** the delayed restart this child waits for (shared by the group restarted with it) */
  pending: Delayed | undefined;
}

export function newChild(spec: NormalChildSpec, extra: readonly unknown[] | undefined): Child {
  return { spec, extra, pid: null, lastId: undefined, startedAt: 0, restarts: 0, attempts: 0, pending: undefined };
}

export const isRef = (pid: Child['pid']): pid is ActorRef => pid !== null && pid !== 'restarting';

export class ChildTable {
  /** static children, in start order */
  readonly children: Child[] = [];
  /** simple_one_for_one instances, in start order */
  readonly dynamic = new Set<Child>();
  /** running actor id → its child */
  readonly byPid = new Map<string, Child>();

  constructor(readonly simple: boolean) {}

  /** Every child, in start order. */
  all(): Child[] {
    return this.simple ? [...this.dynamic] : this.children;
  }

  has(child: Child): boolean {
    return this.dynamic.has(child) || this.children.includes(child);
  }

  byId(id: unknown): Child | undefined {
    return this.children.find((c) => c.spec.id === id);
  }

  /** A simple_one_for_one instance waiting for a restart, named by the id of the actor that ran it last. */
  waitingFor(id: string): Child | undefined {
    for (const child of this.dynamic) if (child.pid === 'restarting' && child.lastId === id) return child;
    return undefined;
  }

  add(child: Child): void {
    if (this.simple) this.dynamic.add(child);
    else this.children.push(child);
  }

  remove(child: Child): void {
    if (this.dynamic.delete(child)) return;
    const at = this.children.indexOf(child);
    if (at >= 0) this.children.splice(at, 1);
  }

  rows(): ChildRow[] {
    return this.all().map((c) => ({ id: this.simple ? undefined : c.spec.id, pid: c.pid, type: c.spec.type }));
  }

  counts(): ChildCounts {
    const all = this.all();
    const supervisors = all.filter((c) => c.spec.type === 'supervisor').length;
    return {
      specs: this.simple ? 1 : all.length,
      active: all.filter((c) => isRef(c.pid)).length,
      supervisors,
      workers: all.length - supervisors,
    };
  }
}
