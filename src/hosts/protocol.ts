/**
 * The control protocol between the main thread and a host worker, one message shape per `t`.
 * Envelopes and replies travel in batches (`d`, `r`) so a burst costs one postMessage.
 */
import type { MessagePort } from 'node:worker_threads';
import type { Envelope } from '../cell.js';
import type { Locator } from '../define.js';
import type { ReplyEnvelope } from '../runtime.js';

/** The tinypool task that turns a pooled worker into a host. */
export interface HostTask {
  control: MessagePort;
  site: number;
  system: string;
  mode: 'shared' | 'exclusive';
  /** [busy cell slot, handler start time in ms] for the watchdog */
  watch: SharedArrayBuffer;
  logLevel: string;
  /** exclusive hosts: the Process to run at once */
  run?: RunRequest;
}

export interface SpawnRequest {
  t: 'spawn';
  rid: number;
  id: string;
  name: string | undefined;
  parent: string | null;
  loc: Locator;
  args: unknown[];
  snapshot: unknown;
  h?: 1;
}

/** A Process target to run in an exclusive host (DESIGN §4.1). */
export interface RunRequest {
  t: 'run';
  /** the host's site, filled in by HostPool */
  site?: number;
  id: string;
  loc: Locator;
  args: unknown[];
  h?: 1;
  process: ProcessInfo;
}

/** What `currentProcess()` knows inside a worker. */
export interface ProcessInfo {
  name: string;
  pid: number;
  daemon: boolean;
  id: string;
  /** the mailbox Queue handle (revived in the worker) */
  mailbox?: unknown;
  parent: { name: string; pid: number; id: string | null } | null;
  /** the multiprocessing log level when it started (lifecycle records are INFO) */
  logLevel?: number;
}

export type ToHost =
  | { t: 'd'; b: Envelope[] | string }
  | { t: 'r'; b: ReplyEnvelope[] }
  | SpawnRequest
  | RunRequest
  | { t: 'stop'; id: string; reason: unknown }
  | { t: 'kill'; id: string; reason: unknown }
  | { t: 'crash'; id: string; error: unknown }
  | { t: 'hang'; id: string; ms: number }
  | { t: 'down'; ids: string[] }
  | { t: 'res'; rid: number; ok: boolean; v: unknown; h?: 1 }
  | { t: 'task'; rid: number; loc: Locator; args: unknown[]; h?: 1 }
  | { t: 'peer'; site: number; port: MessagePort }
  | { t: 'where'; id: string; site: number }
  | { t: 'fence'; from: number; seq: number }
  | { t: 'close' };

export type FromHost =
  | { t: 'ready'; threadId: number }
  | { t: 'd'; b: Envelope[] | string }
  | { t: 'r'; b: ReplyEnvelope[] }
  | { t: 'spawned'; rid: number; ok: boolean; v: unknown }
  | { t: 'exited'; id: string; reason: unknown }
  | { t: 'dead'; b: Envelope[] }
  | { t: 'call'; rid: number; op: string; args: unknown[]; h?: 1 }
  | { t: 'exitcode'; id: string; code: number; hard: boolean }
  | { t: 'log'; b: unknown[] }
  | { t: 'taskDone'; rid: number; ok: boolean; v: unknown; h?: 1 }
  | { t: 'fence'; to: number; seq: number }
  | { t: 'closed' };
