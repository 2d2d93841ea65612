/**
 * The queue server's protocol, shared by the server (server.ts) and the handles that talk to it
 * (src/multiprocessing/queue*.ts, pipe.ts): the shared-memory words every handle carries, the
 * messages, and their answers. One server serves a Queue, JoinableQueue, SimpleQueue or Pipe.
 */

// ---- shared memory layout (the `counts` SharedArrayBuffer every handle carries) ----------------

/** Items not yet taken by a consumer, in flight puts included: word SIZE + channel. */
export const SIZE = 0;
/** Queue: SHUT_DOWN | IMMEDIATE. Pipe: FINISHED(end). */
export const FLAGS = 2;
/** JoinableQueue: puts not yet matched by taskDone(). */
export const UNFINISHED = 3;
/** Putters parked at the server: consumers notify it (`taken`) when they free a slot. */
export const PUTTERS = 4;
/** First claim slot (claims.ts); the slots fill the rest of `counts`. */
export const SLOT_BASE = 8;
export const SLOTS = 56;
/** Length of `counts` in 32-bit words: the counters above, then claim slots. */
export const COUNT_WORDS = SLOT_BASE + SLOTS;

/** FLAGS bits of a queue: shutdown() was called; it was shutdown(true). */
export const SHUT_DOWN = 1;
export const IMMEDIATE = 2;
/** FLAGS bit of a pipe: every copy of `end` is closed (or its holder exited); it never reopens. */
export const FINISHED = (end: number): number => 1 << (4 + end);

/** Most items one delivery may carry. */
export const MAX_BATCH = 512;

// ---- configuration -----------------------------------------------------------------------------

/** What a server serves: its handles' class (a pipe has two channels, one per end). */
export type QueueKind = 'queue' | 'joinable' | 'simple' | 'pipe';

/** The server's spawn argument, made by the handle that creates it. */
export interface ServerConfig {
  kind: QueueKind;
  maxsize: number;
  counts: SharedArrayBuffer;
  /** pipes: the first copy of each end and who holds them (an actor/Process id, or '@site') */
  pipe?: { holder: string; copies: [string, string] };
}

// ---- messages ----------------------------------------------------------------------------------

/** Every message a handle sends; `site` is the sender's thread, `channel` a channel, `end` a pipe end. */
export type ToServer =
  | { type: 'putMany'; items: unknown[] }
  | { type: 'putWait'; item: unknown; timeout: number | null; site: number }
  | { type: 'get'; channel: number; block: boolean; timeout: number | null; site: number }
  | { type: 'poll'; channel: number; timeout: number | null; site: number; tag: string }
  | { type: 'cancel'; tag: string }
  | { type: 'taken' }
  | { type: 'giveBack'; batch: number }
  | { type: 'done' }
  | { type: 'join' }
  /** the server to itself: decide the joins behind the puts read with them */
  | { type: 'joinCheck' }
  | { type: 'shutdown'; immediate: boolean }
  | { type: 'stats' }
  | { type: 'sendMany'; end: number; items: unknown[] }
  /** a new copy of a pipe end, held by `holder` (registered before the copy can be used) */
  | { type: 'copy'; end: number; copy: string; holder: string }
  /** the copy now belongs to `holder` (its receiver revived it) */
  | { type: 'transfer'; copy: string; holder: string; site: number }
  | { type: 'close'; copy: string }
  | { type: 'DOWN'; ref: { id: string } };

/** A get's answer: batch id, items, claim slot and generation, and the slot's page if not in `counts`. */
export interface Delivery {
  batch: number;
  items: unknown[];
  slot: number;
  generation: number;
  page?: SharedArrayBuffer;
}

/** The `stats` answer (tests and debugging). */
export interface QueueStats {
  items: number[];
  outstanding: number;
  waiters: number;
  putters: number;
  consumers: string[];
  /** pipes: live copies per end */
  copies?: [number, number];
}
