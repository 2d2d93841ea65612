/**
 * Python's process introspection: `currentProcess()`, `parentProcess()`, `activeChildren()`,
 * `cpuCount()`. Views of processes this thread did not start answer like Python's: the current
 * process inside a target or a Pool worker, MainProcess in the main thread, and a parent whose
 * isAlive() turns false once main says it ended (its children are orphans then).
 */
import os from 'node:os';
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
  return Process.view(parent.name, parent.pid, false, parent.id, { code: () => identity().parentExitcode });
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
