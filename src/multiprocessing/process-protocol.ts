/**
 * What main and a worker say to each other about a Process (the multiprocessing extension's own
 * protocol over the kernel's generic "an exclusive host runs one task"): the task to run, what
 * the worker reports besides the task's result (the exit code), and what main tells it later.
 */
import type { Locator } from '../define.js';

/** The name of the extension that runs Process targets. */
export const EXTENSION = 'multiprocessing';

/** What `currentProcess()` knows inside a worker. */
export interface ProcessInfo {
  name: string;
  /** Python's `_identity`: (1,) for Process-1, (1, 2) for Process-1:2; names the children */
  identity: number[];
  pid: number;
  daemon: boolean;
  id: string;
  parent: { name: string; pid: number; id: string | null } | null;
  /** the parent's exit code, when it ended before this process was launched */
  parentExitcode?: number;
  /** the multiprocessing log level when it started (lifecycle records are INFO) */
  logLevel: number;
  /** main's shared logger settings (level, stderr), so the process filters where it logs */
  logConfig?: SharedArrayBuffer;
}

/** The task of an exclusive host: run this target as this process. */
export interface RunPayload {
  loc: Locator;
  args: unknown[];
  /** the target is a Process subclass: build an instance from args[0] (its own fields) and call run() */
  subclass: boolean;
  process: ProcessInfo;
}

/** Worker → main, besides the task's result (its exit code). */
export type FromProcessHost =
  /** process.exit(n): the thread is parked; end it */
  { type: 'exit'; code: number };

/** Main → worker. */
export type ToProcessHost =
  /** the parent process ended (parentProcess().isAlive() turns false) */
  { type: 'parentExited'; code: number };
