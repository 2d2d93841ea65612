/**
 * The reading end of a ring (see ring-layout.ts), in the main thread. It drains what the worker
 * published, in order, and parks (sets SLEEP) when there is nothing to read; the writer then
 * rings a doorbell (a postMessage main listens for, which costs the waker less than
 * Atomics.notify on a parked waitAsync) and the owner calls wake(). When the worker has gone,
 * close() delivers everything it published before it went, then what it left on the side port.
 */
import v8 from 'node:v8';
import { receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { CLOSED, CONTROL_HEADER, KIND_BREAK, KIND_PORT, KIND_WRAP, R, ringView, SLEEP, unwrapSide, utf8Slice, W, WAITING, type SideMessage } from './ring-layout.js';

/** What the reader hands each value to; `drained` runs after each drain (a batch boundary). */
export interface RingSink {
  deliver(value: unknown): void;
  drained(): void;
  failed(error: unknown): void;
}

/**
 * After a drain that delivered this many values (a stream), nap instead of parking: the writer
 * pays no wake-up (~40 µs for the waker here) and the next batch piles up meanwhile.
 */
const NAP_AFTER = 64;
const NAP_MS = 1;

/** Runs up to this many bytes are scanned for their end by hand (cheaper than a native call). */
const SHORT_RUN = 256;

export class RingReader {
  private readonly words: Int32Array;
  private readonly capacity: number;
  private readonly mask: number;
  private readonly data: Uint8Array;
  private readonly buf: Buffer;
  private readonly port: MessagePort;
  private r: number;
  /** decoded, not yet delivered (a deliver() threw, or a JSON run is being handed out) */
  private backlog: unknown[] = [];
  private sink: RingSink | undefined;
  private deliver: (value: unknown) => void = () => {};
  private scheduled = false;
  private draining = false;
  private finished = false;

  constructor(sab: SharedArrayBuffer, port: MessagePort) {
    const { words, capacity, mask, data, buf } = ringView(sab);
    this.words = words;
    this.capacity = capacity;
    this.mask = mask;
    this.data = data;
    this.buf = buf;
    this.port = port;
    this.r = Atomics.load(words, R);
  }

  /** The writer is blocked on a full ring (it is slow because main is, not stuck). */
  get writerWaiting(): boolean {
    return Atomics.load(this.words, WAITING) !== 0;
  }

  /** Reads continuously: now, and whenever the writer publishes. */
  listen(sink: RingSink): void {
    this.sink = sink;
    this.deliver = (value) => sink.deliver(value);
    this.run();
  }

  /**
   * The writer is gone (or must stop): delivers what it published and left on the side port,
   * synchronously, and stops. Called inside a delivery, the current drain finishes it instead.
   */
  close(): void {
    Atomics.store(this.words, CLOSED, 1);
    Atomics.notify(this.words, R);
    if (!this.draining) this.finish();
  }

  /**
   * Reads what the writer has published so far, now (not at the next wake): a consumer that must
   * not overtake a message already in shared memory (JoinableQueue.join) calls it.
   */
  pump(): void {
    const sink = this.sink;
    if (sink === undefined || this.finished || this.draining) return;
    try {
      this.drain(this.deliver);
    } catch (error) {
      sink.failed(error);
    } finally {
      sink.drained();
    }
  }

  /** Delivers everything published so far, in order; returns how many. */
  private drain(deliver: (value: unknown) => void): number {
    this.draining = true;
    try {
      let count = this.deliverBacklog(deliver);
      const w = Atomics.load(this.words, W);
      const cap = this.capacity;
      let r = this.r;
      while (r !== w) {
        const off = r & this.mask;
        const used = (w - r) >>> 0;
        const end = used < cap - off ? off + used : cap;
        if (this.data[off] !== 0) {
          // a run of JSON records, up to the next control byte: one JSON.parse
          const runEnd = this.runEnd(off, end);
          const values = JSON.parse('[' + utf8Slice(this.buf, off, runEnd - 1) + ']') as unknown[];
          r = this.release(r, runEnd - off);
          count += this.deliverAll(values, deliver);
          continue;
        }
        if (off === cap - 1 || this.data[off + 1] === KIND_WRAP) {
          r = this.release(r, cap - off);
          continue;
        }
        if (this.data[off + 1] === KIND_BREAK) {
          r = this.release(r, 2);
          continue;
        }
        const kind = this.data[off + 1]!;
        const len = this.buf.readUInt32LE(off + 2);
        const start = off + CONTROL_HEADER;
        let value: unknown;
        if (kind === KIND_PORT) {
          value = this.receiveSide(this.buf.readUInt32LE(start));
        } else {
          // copied out before the space is given back: v8.deserialize's typed arrays alias their input
          value = v8.deserialize(this.data.slice(start, start + len));
        }
        r = this.release(r, len + CONTROL_HEADER);
        this.backlog.push(value);
        count += this.deliverBacklog(deliver);
      }
      return count;
    } finally {
      this.draining = false;
    }
  }

  /** Where the JSON run starting at `off` ends: the next control byte (0), or `end`. */
  private runEnd(off: number, end: number): number {
    if (end - off > SHORT_RUN) {
      const zero = this.data.subarray(off, end).indexOf(0);
      return zero < 0 ? end : off + zero;
    }
    // a short run (one small record, as a reply is) is scanned without allocating a view
    const data = this.data;
    for (let i = off; i < end; i++) if (data[i] === 0) return i;
    return end;
  }

  private release(r: number, bytes: number): number {
    const next = (r + bytes) | 0;
    this.r = next;
    Atomics.store(this.words, R, next);
    if (Atomics.load(this.words, WAITING) !== 0) Atomics.notify(this.words, R);
    return next;
  }

  private receiveSide(seq: number): unknown {
    const got = receiveMessageOnPort(this.port);
    if (got === undefined) throw new Error(`ring: record ${seq} has no message on the side port`);
    const message = got.message as SideMessage;
    if (message.s !== seq) throw new Error(`ring: side message ${message.s} where ${seq} was expected`);
    return unwrapSide(message);
  }

  private deliverAll(values: unknown[], deliver: (value: unknown) => void): number {
    if (this.backlog.length > 0) {
      for (const value of values) this.backlog.push(value);
      return this.deliverBacklog(deliver);
    }
    let i = 0;
    try {
      for (; i < values.length; i++) deliver(values[i]);
    } catch (error) {
      for (let j = i + 1; j < values.length; j++) this.backlog.push(values[j]);
      throw error;
    }
    return values.length;
  }

  private deliverBacklog(deliver: (value: unknown) => void): number {
    const backlog = this.backlog;
    let n = 0;
    // shift() keeps the undelivered rest in place if deliver throws
    while (backlog.length > 0) {
      const value = backlog.shift();
      n++;
      deliver(value);
    }
    return n;
  }

  private readonly run = (): void => {
    this.scheduled = false;
    const sink = this.sink;
    if (sink === undefined || this.finished) return;
    let n: number;
    try {
      n = this.drain(this.deliver);
    } catch (error) {
      sink.failed(error);
      return this.schedule(); // go on with the rest
    } finally {
      sink.drained();
    }
    if (Atomics.load(this.words, CLOSED) !== 0) return this.finish();
    if (n >= NAP_AFTER) {
      // a stream: nap while little is waiting; an eighth of the ring filled meanwhile means the
      // writer is about to block on us, so read on after letting the event loop in
      if (((Atomics.load(this.words, W) - this.r) >>> 0) > this.capacity >> 3) return this.schedule();
      return void setTimeout(this.run, NAP_MS).unref();
    }
    Atomics.store(this.words, SLEEP, 1);
    if (Atomics.load(this.words, W) !== this.r) {
      // more arrived meanwhile: stay awake, but let the event loop breathe between snapshots
      Atomics.store(this.words, SLEEP, 0);
      return this.schedule();
    }
    // parked: the writer's next publish rings the doorbell
  };

  /** The doorbell rang: the writer published while we were parked. */
  wake(): void {
    if (this.scheduled || this.draining) return;
    Atomics.store(this.words, SLEEP, 0);
    this.run();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.run);
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    const sink = this.sink;
    if (sink === undefined) return;
    try {
      this.drain(this.deliver);
      // side-port messages posted without their record (the writer died between the two) came last
      for (let got = receiveMessageOnPort(this.port); got !== undefined; got = receiveMessageOnPort(this.port)) {
        this.backlog.push(unwrapSide(got.message as SideMessage));
        this.deliverBacklog(this.deliver);
      }
    } catch (error) {
      sink.failed(error);
    } finally {
      sink.drained();
    }
    this.port.close();
  }
}
