/**
 * The Pool's scheduler: it hands chunks to workers in batches (several chunks per message, sized
 * from the measured task time so tiny tasks are cheap and slow ones still spread out), only to
 * workers that are up, and starts workers lazily, in waves, while work outlasts them (a
 * Pool(200) of tiny tasks never boots 200 workers). When a worker dies only the chunk it was
 * running rejects BrokenWorkerError: what it had not run goes to another worker, and a task's own
 * error is always its own. Workers are named PoolWorker-N, each with a pid of its own.
 */
import os from 'node:os';
import { BrokenWorkerError, RuntimeError } from '../errors.js';
import type { Locator } from '../define.js';
import { DEBUG, logConfigBuffer, mpLog } from './logging.js';
import { recreateError, type Job, type Range } from './pool-jobs.js';
import type { PoolBackend, PoolSlot } from './pool-backend.js';
import { PROGRESS_WORDS, type WireBatch, type WireReply } from './pool-worker.js';

/** target ms of task time per message, once the task time is known */
const BATCH_MS = 4;
const MAX_BATCH_CHUNKS = 2048;
const MAX_BATCH_ITEMS = 8192;
/** batches in flight per worker when tasks are tiny: the next one waits in the worker */
const PIPELINE = 2;
const PIPELINE_BELOW_MS = 1;

interface Sent {
  seq: number;
  /** the ranges sent, in batch order (one wire group each) */
  ranges: Range[];
  /** chunks in the batch */
  chunks: number;
}

interface Worker {
  slot: PoolSlot;
  name: string;
  pid: number;
  ready: boolean;
  inflight: Sent[];
  done: number;
  /** no more batches: closing (maxtasksperchild, close) or ended */
  retired: boolean;
  ended: boolean;
  /** [batch seq running, chunks of it started], written by the worker */
  progress: Int32Array;
  nextSeq: number;
}

export interface SchedulerOptions {
  size: number;
  backend: PoolBackend;
  initializer: () => [Locator, unknown[]] | null | undefined;
  maxtasks: number | undefined;
  /** a name and pid for a new worker (PoolWorker-N, shared counter with Process-N) */
  identity(): { name: string; pid: number };
  /** something broke the whole pool (its initializer failed) */
  broken(error: unknown): void;
  /** no work is left (queued or in flight) */
  idle(): void;
}

export class PoolScheduler {
  readonly workers = new Set<Worker>();
  readonly jobs: Job[] = [];
  /** moving average of ms per chunk (undefined until the first reply) */
  private chunkMs: number | undefined;
  private wave = 0;
  stopped = false;

  constructor(private readonly options: SchedulerOptions) {}

  submit(job: Job): void {
    this.jobs.push(job);
    this.pump();
  }

  /** Work is waiting: hand it to ready workers, starting workers if it outlasts them. */
  pump(): void {
    if (this.stopped || this.options.initializer() === null) return;
    const depth = this.chunkMs !== undefined && this.chunkMs < PIPELINE_BELOW_MS ? PIPELINE : 1;
    for (let inflight = 0; inflight < depth; inflight++) {
      for (const worker of this.workers) {
        if (worker.ready && !worker.retired && worker.inflight.length === inflight && this.hasWork()) this.send(worker);
      }
    }
    this.grow();
    for (const job of [...this.jobs]) if (job.finished) this.jobs.splice(this.jobs.indexOf(job), 1);
    if (!this.busy) this.options.idle();
  }

  private hasWork(): boolean {
    return this.jobs.some((job) => job.available);
  }

  private queuedChunks(): number {
    let n = 0;
    for (const job of this.jobs) n += job.queued;
    return n;
  }

  /**
   * Work is left after every ready worker got some: starts workers in waves (4, 8, 16, ... up to
   * the pool size), the next wave only once the last one is up (work that finishes while a wave
   * boots never needs more).
   */
  private grow(): void {
    const size = this.options.size;
    const live = [...this.workers].filter((w) => !w.retired);
    if (live.length >= size || !this.hasWork() || live.some((w) => !w.ready)) return;
    const idle = live.filter((w) => w.inflight.length === 0).length;
    const queued = this.queuedChunks();
    if (idle >= queued) return;
    const wave = Math.max(4, os.availableParallelism()) * 2 ** this.wave++;
    const count = Math.min(size - live.length, wave, queued - idle);
    for (let i = 0; i < count; i++) this.start();
  }

  /** Python runs the initializer as each worker starts, even if no task ever comes. */
  start(): void {
    const { name, pid } = this.options.identity();
    const worker: Worker = {
      slot: undefined as unknown as PoolSlot,
      name,
      pid,
      ready: false,
      inflight: [],
      done: 0,
      retired: false,
      ended: false,
      progress: new Int32Array(new SharedArrayBuffer(PROGRESS_WORDS * 4)),
      nextSeq: 1,
    };
    worker.slot = this.options.backend.start();
    this.workers.add(worker);
    worker.slot.ready.then(
      () => {
        worker.ready = true;
        if (this.options.initializer() && !this.stopped) this.send(worker);
        this.pump();
      },
      () => {},
    );
  }

  /** How many chunks the next batch to `worker` may take. */
  private batchLimit(worker: Worker): number {
    let limit = this.chunkMs === undefined ? 1 : Math.max(1, Math.floor(BATCH_MS / Math.max(this.chunkMs, 1e-6)));
    const ready = [...this.workers].filter((w) => w.ready && !w.retired).length;
    // leave a fair share for every worker, so slow tasks still spread out
    limit = Math.min(limit, MAX_BATCH_CHUNKS, Math.max(1, Math.ceil(this.queuedChunks() / Math.max(1, ready))));
    if (this.options.maxtasks !== undefined) limit = Math.min(limit, this.options.maxtasks - worker.done - worker.inflight.reduce((n, s) => n + s.chunks, 0));
    return limit;
  }

  private send(worker: Worker): void {
    const batch: WireBatch = { seq: worker.nextSeq++, locators: [], groups: [] };
    const ranges: Range[] = [];
    const limit = this.batchLimit(worker);
    let chunks = 0;
    let items = 0;
    while (chunks < limit && items < MAX_BATCH_ITEMS) {
      const job = this.jobs.find((j) => j.available);
      if (!job) break;
      const byItems = Math.max(1, Math.floor((MAX_BATCH_ITEMS - items) / job.chunksize));
      const range = job.take(Math.min(limit - chunks, byItems))!;
      let l = batch.locators.indexOf(job.locator);
      if (l < 0) l = batch.locators.push(job.locator) - 1;
      const groupItems = job.itemsOf(range.first, range.count);
      batch.groups.push({ locator: l, star: job.star, size: job.chunksize, items: groupItems });
      ranges.push(range);
      chunks += range.count;
      items += groupItems.length;
    }
    if (worker.nextSeq === 2) {
      // the first batch tells the worker who it is and how to start
      batch.worker = { name: worker.name, pid: worker.pid, progress: worker.progress, logConfig: logConfigBuffer() };
      const initializer = this.options.initializer();
      if (initializer) batch.initializer = initializer;
    }
    if (chunks === 0 && !batch.worker) {
      worker.nextSeq--;
      return;
    }
    const sent: Sent = { seq: batch.seq, ranges, chunks };
    worker.inflight.push(sent);
    this.options.backend.run(worker.slot, batch).then(
      (reply) => this.onReply(worker, sent, reply),
      (error) => this.onDeath(worker, error),
    );
  }

  private onReply(worker: Worker, sent: Sent, reply: WireReply): void {
    const at = worker.inflight.indexOf(sent);
    // a batch already given to another worker (its worker exited first) is not counted twice
    if (at < 0) return;
    worker.inflight.splice(at, 1);
    if (reply.initError !== undefined) return this.options.broken(recreateError(reply.initError));
    const ran = reply.exited ? reply.exited.chunk : sent.chunks;
    if (ran > 0) {
      const perChunk = reply.ms / ran;
      this.chunkMs = this.chunkMs === undefined ? perChunk : this.chunkMs * 0.7 + perChunk * 0.3;
    }
    let position = 0;
    sent.ranges.forEach(({ job, first, count }, g) => {
      const results = reply.results[g];
      let offset = 0;
      for (let c = 0; c < count; c++, position++) {
        const index = first + c;
        const size = job.sizeOf(index);
        if (position < ran) {
          job.settled();
          const error = reply.errors?.[position];
          if (error !== undefined) job.consumer.fail(index, recreateError(error));
          else job.consumer.chunk(index, results!, offset, size);
        } else if (position === ran) {
          // exit() or process.exit() in a task: that task alone fails; what came after it runs elsewhere
          job.settled();
          job.consumer.fail(index, new BrokenWorkerError(`the worker running this task exited with code ${reply.exited!.code} (exit in a task); the pool replaces it`));
        } else {
          job.putBack(index, first + count - index);
          position += first + count - index - 1;
          break;
        }
        offset += size;
      }
    });
    worker.done += ran;
    if (reply.exited) {
      for (const later of worker.inflight.splice(0)) this.requeue(later.ranges);
      worker.retired = true;
      this.options.backend.close(worker.slot);
    }
    this.afterBatch(worker);
  }

  /** The worker died (not by exit() in a task): the chunk it was running fails, the rest runs elsewhere. */
  private onDeath(worker: Worker, error: unknown): void {
    const [running, started] = [Atomics.load(worker.progress, 0), Atomics.load(worker.progress, 1)];
    const broken = error instanceof BrokenWorkerError ? error : new BrokenWorkerError(`the worker running this task died: ${String((error as Error)?.message ?? error)}`);
    for (const sent of worker.inflight.splice(0)) {
      if (sent.seq > running) {
        this.requeue(sent.ranges);
        continue;
      }
      // its results were not received: the chunk it was running, and those it ran, are lost with it
      const lost = sent.seq < running ? sent.chunks : started + 1;
      let position = 0;
      for (const { job, first, count } of sent.ranges) {
        const fail = Math.max(0, Math.min(count, lost - position));
        for (let c = 0; c < fail; c++) job.consumer.fail(first + c, broken);
        job.settled(fail);
        job.putBack(first + fail, count - fail);
        position += count;
      }
    }
    worker.retired = worker.ended = true;
    this.pump();
  }

  private requeue(ranges: Range[]): void {
    for (const { job, first, count } of [...ranges].reverse()) job.putBack(first, count);
  }

  /** Recycles a worker that reached maxtasksperchild, then hands out more work. */
  private afterBatch(worker: Worker): void {
    if (this.options.maxtasks !== undefined && worker.done >= this.options.maxtasks) worker.retired = true;
    if (worker.retired && !worker.ended && worker.inflight.length === 0) this.options.backend.close(worker.slot);
    this.pump();
  }

  /** A worker's host ended (closed by us, or died). Returns true when it was ours. */
  ended(slot: PoolSlot): boolean {
    const worker = [...this.workers].find((w) => w.slot === slot);
    if (!worker) return false;
    if (worker.inflight.length > 0) this.onDeath(worker, new BrokenWorkerError('the worker running this task exited; the pool replaces it'));
    this.workers.delete(worker);
    worker.ended = worker.retired = true;
    this.pump();
    return true;
  }

  /** Work left (queued, or in flight on a live worker). */
  get busy(): boolean {
    return this.jobs.some((job) => !job.finished) || [...this.workers].some((w) => w.inflight.length > 0);
  }

  /** Closes every idle worker (close(): the workers exit once the work is done). */
  closeIdle(): void {
    for (const worker of this.workers) {
      if (!worker.retired && worker.inflight.length === 0) {
        worker.retired = true;
        this.options.backend.close(worker.slot);
      }
    }
  }

  /** terminate(): kills the workers that are running something; idle ones just exit. */
  stop(error: unknown): void {
    this.stopped = true;
    for (const job of this.jobs.splice(0)) job.consumer.abort(error);
    for (const worker of this.workers) {
      const running = worker.inflight.length > 0;
      for (const sent of worker.inflight.splice(0)) for (const range of sent.ranges) range.job.consumer.abort(error);
      worker.retired = true;
      if (running) this.options.backend.kill(worker.slot);
      else this.options.backend.close(worker.slot);
    }
    mpLog(DEBUG, 'terminating workers');
  }

  failAll(error: unknown): void {
    for (const job of this.jobs.splice(0)) job.consumer.abort(error);
  }

  static noWork(): RuntimeError {
    return new RuntimeError('the pool was terminated before this task finished');
  }
}
