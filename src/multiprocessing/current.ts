/**
 * Python's process introspection: `currentProcess()`, `parentProcess()`, `activeChildren()`,
 * `cpuCount()`. Views of processes this thread did not start answer like Python's: the current
 * process inside a target or a Pool worker, MainProcess in the main thread, and a parent whose
 * isAlive() turns false once main says it ended (its children are orphans then).
 */
import os from 'node:os';
import { currentHost } from '../hosts/current.js';
import { extensionCallSync } from '../kernel-call.js';
import { MULTIPROCESSING } from './extension.js';
import { identity, runningProcess } from './identity.js';
import { Process } from './process.js';

const views = new WeakMap<object, Process>();
let mainView: Process | undefined;

/** The process this code runs in: MainProcess in the main thread. */
export function currentProcess(): Process & { readonly mailbox: any } {
  const info = runningProcess();
  if (!info) return (mainView ??= Process.view('MainProcess', process.pid, false, null));
  let view = views.get(info);
  if (!view) {
    view = Process.view(info.name, info.pid, info.daemon, info.id);
    views.set(info, view);
  }
  return view;
}

/** The parent of the current process, or null in the main process. */
export function parentProcess(): Process | null {
  const parent = runningProcess()?.parent;
  if (!parent) return null;
  return Process.view(parent.name, parent.pid, false, parent.id, { code: () => parentExitcode(parent.id) });
}

/**
 * The parent's exit code, null while it lives. Main tells an orphan when its parent ends; until
 * that word has arrived (it may still be queued behind this very call), main is asked directly,
 * as Python's parent sentinel answers at once.
 */
function parentExitcode(parentId: string | null): number | null {
  const state = identity();
  if (state.parentExitcode !== null || parentId === null || !currentHost()) return state.parentExitcode;
  const code = extensionCallSync(MULTIPROCESSING, 'ended', [parentId]) as number | null;
  if (code !== null) state.parentExitcode = code;
  return code;
}

/** Live children of the current process; finished ones are reaped (forgotten). */
export function activeChildren(): Process[] {
  const children = identity().children as Set<Process>;
  for (const child of children) if (child.exitcode !== null) children.delete(child);
  return [...children];
}

export function cpuCount(): number {
  return os.availableParallelism();
}
