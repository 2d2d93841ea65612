/**
 * Main's handle on one host worker: its control port and the outbox that batches envelopes and
 * replies toward it, the ring it reads everything the worker sends from, its watch words (the
 * heartbeat the watchdog reads; the count of posts a waiting worker polls), and the name-table
 * changes it has not been told yet (they go out before anything else posted to it, so a host
 * never sees a spawn or a message that depends on a name before the name).
 */
import type { ItemHeader } from '../wire.js';
import type { MessagePort } from 'node:worker_threads';
import type { Envelope, ReplyEnvelope } from '../envelope.js';
import type { RingReader } from '../transport/ring-reader.js';
import { Outbox } from './outbox.js';
import type { NameChange, ToHost, ToHostWire } from './protocol.js';

export type HostMode = 'shared' | 'exclusive';

/** watch word 2: bumped by main when it answered a blocking call */
export const ANSWERS = 2;
/** watch word 3: bumped by main after each post (a busy-waiting worker polls it: busy-wait.ts) */
export const POSTS = 3;

/** Why a host went away: it finished (exclusive), was closed, or died. */
/** `error`: the uncaught exception that ended the worker, when it could say so. */
export type HostEnd = { kind: 'finished'; result?: unknown } | { kind: 'died'; cause: string; exitCode?: number; error?: Error };

export class Host {
  readonly site: number;
  readonly mode: HostMode;
  readonly port: MessagePort;
  /** [heartbeat, modules loading] for the watchdog, [answers] for blocking calls, [posts] for the busy wait */
  readonly watch: Int32Array;
  /** actors placed here (for least-loaded placement) */
  load = 0;
  alive = true;
  /** the worker said it is closing: its port closing is an orderly end, not a death */
  closing = false;
  threadId = -1;
  lastBeat = 0;
  lastBeatAt = Date.now();
  /** a worker outside tinypool that does not keep Node alive (e.g. a daemon Process) */
  detached = false;
  /** while idle (exclusive, between tasks): the timer that closes it */
  linger: NodeJS.Timeout | undefined;
  /** the header of the last item record read from this worker's ring (wire.ts ITEM_AGAIN) */
  lastItem: ItemHeader | undefined;
  /** the uncaught exception the worker reported as it died (its 'fatal' record) */
  fatal: Error | undefined;
  /** resolves once the worker is up and taking work (rejects if it died while starting) */
  ready: Promise<void> = Promise.resolve();
  /** ends main's side of the host now (its port closed), as an orderly end; set by the HostPool */
  dispose: () => void = () => {};
  private readonly abort = new AbortController();
  private names: NameChange[] = [];
  private readonly outbox = new Outbox((batch, replies, transfer) => {
    if (!this.alive) return;
    if (batch !== undefined) this.post(typeof batch === 'string' ? batch : { t: 'envelopes', batch }, transfer);
    if (replies !== undefined) this.post(replies);
  });

  /** everything the worker sends, in the order it sent it */
  readonly fromWorker: RingReader;

  constructor(site: number, mode: HostMode, port: MessagePort, watch: Int32Array, fromWorker: RingReader) {
    this.site = site;
    this.mode = mode;
    this.port = port;
    this.watch = watch;
    this.fromWorker = fromWorker;
  }

  get signal(): AbortSignal {
    return this.abort.signal;
  }

  post(message: ToHostWire, transfer?: readonly unknown[]): void {
    if (!this.alive) return;
    if (this.names.length > 0) this.flushNames();
    this.send(message, transfer);
  }

  /** Every post goes here: a worker waiting awake polls the count of them (busy-wait.ts). */
  private send(message: ToHostWire, transfer?: readonly unknown[]): void {
    this.port.postMessage(message, transfer as never);
    Atomics.add(this.watch, POSTS, 1);
  }

  /** Wakes the worker blocked in a synchronous call (its answer was just posted). */
  wakeBlocked(): void {
    Atomics.add(this.watch, ANSWERS, 1);
    Atomics.notify(this.watch, ANSWERS);
  }

  /** Queues an envelope; a burst goes out as one batch at the end of the current tick. */
  deliver(envelope: Envelope, transfer?: readonly unknown[]): void {
    this.outbox.send(envelope, transfer);
  }

  reply(reply: ReplyEnvelope): void {
    this.outbox.reply(reply);
  }

  /** Sends what is queued for this host now. */
  flush(): void {
    this.outbox.flush();
    if (this.names.length > 0) this.flushNames();
  }

  /** A name was bound or freed: the host's replica hears of it before anything posted later. */
  nameChanged(change: NameChange): void {
    if (!this.alive) return;
    // queued envelopes were sent before the change: they go first
    this.outbox.flush();
    if (this.names.push(change) === 1) queueMicrotask(() => this.flushNames());
  }

  private flushNames(): void {
    if (this.names.length === 0 || !this.alive) return;
    const changes = this.names;
    this.names = [];
    this.send({ t: 'names', changes } satisfies ToHost);
  }

  /** Unsent envelopes are handed back when the host dies so asks among them can be answered. */
  takeUnsent(): Envelope[] {
    return this.outbox.takeUnsent();
  }

  /** Ends the worker at once (terminate/kill/watchdog); tinypool replaces it. */
  terminate(): void {
    this.abort.abort();
  }
}
