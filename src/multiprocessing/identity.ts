/**
 * Who the current thread is, as Python's `current_process()` sees it: the main process, the
 * Process whose target runs in this worker, or a Pool worker; plus the per-thread counter that
 * names children (Process-N, Process-N:M) and the children not yet reaped. Kept behind a globalThis
 * slot: user code may load another copy of troupe than the host runs and must see the same state.
 */
import type { ProcessInfo } from './process-protocol.js';

export interface ThreadIdentity {
  /** the Process (or Pool worker) this thread runs now; undefined in main */
  info: ProcessInfo | undefined;
  /** the parent's exit code once main said it ended (parentProcess().isAlive() is false then) */
  parentExitcode: number | null;
  /** children started from this thread so far (names them) */
  counter: number;
  /** started and not yet reaped by join()/activeChildren() */
  children: Set<object>;
}

const SLOT = Symbol.for('troupe.processIdentity');

export function identity(): ThreadIdentity {
  const slots = globalThis as unknown as Record<symbol, ThreadIdentity | undefined>;
  return (slots[SLOT] ??= { info: undefined, parentExitcode: null, counter: 0, children: new Set() });
}

/** The Process (or Pool worker) this thread runs now, if any. */
export function runningProcess(): ProcessInfo | undefined {
  return identity().info;
}

/** This thread starts running `info` (a new Process target on a reused worker starts afresh). */
export function becomeProcess(info: ProcessInfo | undefined): void {
  const state = identity();
  state.info = info;
  state.parentExitcode = info?.parentExitcode ?? null;
  state.counter = 0;
  state.children.clear();
}
