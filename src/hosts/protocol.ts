/**
 * The control protocol between the main thread and a host worker: one message shape per `t`, in
 * two closed unions (ToHost, FromHost) that both sides switch over exhaustively. Toward a worker,
 * envelopes and replies travel in batches (`envelopes`, `replies`) on its control port, so a burst
 * costs one postMessage. From a worker, everything goes through one ring in shared memory, in the
 * order it was sent: control messages as they are, envelopes and replies as records (wire.ts); the
 * worker posts on its control port only to ring the ring's doorbell (main was parked).
 */
import type { MessagePort } from 'node:worker_threads';
import type { Locator } from '../define.js';
import type { ReplyEnvelope } from '../envelope.js';
import type { WireBatch } from '../wire.js';

/** The tinypool task that turns a pooled worker into a host. */
export interface HostTask {
  control: MessagePort;
  /** the worker → main ring (ring-layout.ts) and its side port, for what must go by postMessage */
  ring: SharedArrayBuffer;
  side: MessagePort;
  site: number;
  system: string;
  mode: 'shared' | 'exclusive';
  /** [heartbeat, modules loading] for the watchdog, [answers] for blocking calls, [posts] for the busy wait */
  watch: SharedArrayBuffer;
  /** µs the host waits awake for main's next message in a quick exchange (busy-wait.ts; 0: never) */
  spin: number;
  /** the process's spin words: whether a core is spare, and the slots of hosts waiting awake (spin-governor.ts) */
  spinWords: SharedArrayBuffer;
  logLevel: string;
  /** host-side extension modules to import before taking work (paths from the package root) */
  extensions: string[];
  /** the name table when the host started (later changes arrive as `names` messages) */
  names: Array<[name: string, id: string]>;
  /** exclusive hosts: the task to run at once */
  run?: RunRequest;
}

/** Starts an actor on a host. */
export interface SpawnRequest {
  t: 'spawn';
  rid: number;
  id: string;
  name: string | undefined;
  parent: string | null;
  loc: Locator;
  args: unknown[];
  snapshot: unknown;
  handles?: 1;
}

/** An exclusive host's one task, run by the host-side extension `ext` (e.g. a Process target). */
export interface RunRequest {
  t: 'run';
  ext: string;
  /** the identity the task runs as (the actor-like id of a Process), if any */
  id?: string;
  payload: unknown;
  handles?: 1;
}

/** A change of the name table, pushed to every host in order (`id` undefined: unbound). */
export type NameChange = [name: string, id: string | undefined];

/**
 * What main posts to a host: a control message, or a hot batch bare (a structured clone of a
 * string or an array costs less than of an object around it): a JSON string of envelopes and
 * replies (wire.ts encodeBatch), or an array of replies that must be cloned.
 */
export type ToHostWire = ToHost | string | ReplyEnvelope[];

export type ToHost =
  | { t: 'envelopes'; batch: WireBatch }
  | { t: 'replies'; batch: ReplyEnvelope[] }
  | SpawnRequest
  | RunRequest
  | { t: 'stop'; id: string; reason: unknown }
  | { t: 'kill'; id: string; reason: unknown }
  | { t: 'crash'; id: string; error: unknown }
  | { t: 'hang'; id: string; ms: number }
  | { t: 'down'; ids: string[] }
  | { t: 'result'; rid: number; ok: boolean; value: unknown; handles?: 1 }
  | { t: 'task'; rid: number; loc: Locator; args: unknown[]; handles?: 1 }
  | { t: 'names'; changes: NameChange[] }
  | { t: 'ext'; ext: string; msg: unknown }
  | { t: 'close' };

export type FromHost =
  | { t: 'ready'; threadId: number }
  | { t: 'spawned'; rid: number; ok: boolean; error?: unknown }
  | { t: 'exited'; id: string; reason: unknown }
  | { t: 'dead'; envelope: import('../envelope.js').Envelope }
  | { t: 'call'; rid: number; ext?: string; op: string; args: unknown[]; handles?: 1; sync?: 1 }
  | { t: 'ran'; ext: string; result: unknown }
  | { t: 'log'; line: string }
  | { t: 'taskDone'; rid: number; ok: boolean; value: unknown; handles?: 1 }
  | { t: 'ext'; ext: string; msg: unknown }
  /** an uncaught exception is ending this worker (sent from uncaughtExceptionMonitor) */
  | { t: 'fatal'; error: unknown }
  | { t: 'closed' };

/** For exhaustive switches over the protocol unions. */
export function unreachable(message: never): never {
  throw new Error(`unknown control message ${JSON.stringify((message as { t?: unknown })?.t)}`);
}
