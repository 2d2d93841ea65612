/**
 * The writing end of a ring (see ring-layout.ts), used by a worker thread. When write() returns,
 * the value is in shared memory (or on the side port, with its place in the order fixed): the
 * main thread reads it even if this worker is terminated the next instant. A full ring blocks
 * the writer (Atomics.wait) until main has read: backpressure instead of unbounded memory.
 */
import type { MessagePort } from 'node:worker_threads';
import { classify, NOT_JSON } from '../handles.js';
import {
  CLOSED,
  COMMA,
  CONTROL_HEADER,
  KIND_BREAK,
  KIND_PORT,
  KIND_V8,
  KIND_WRAP,
  R,
  ringView,
  serializeStrict,
  SLEEP,
  W,
  WAITING,
  utf8Write,
  type SideMessage,
} from './ring-layout.js';

/** A JSON run longer than this gets a BREAK, so the reader parses (and frees space) in slices. */
const RUN_LIMIT = 8192;

/** Strings up to this length are copied by hand when ASCII (cheaper than a native call). */
const SHORT = 48;

/** Copies ASCII `s` to `data` at `at`; returns the next offset. */
function ascii(data: Uint8Array, s: string, at: number): number {
  for (let i = 0; i < s.length; i++) data[at++] = s.charCodeAt(i);
  return at;
}

/** Copies `s` if it is all ASCII and returns its length, else -1 (what was copied is overwritten). */
function asciiOrNot(data: Uint8Array, s: string, at: number): number {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7f) return -1;
    data[at + i] = c;
  }
  return s.length;
}

export class RingWriter {
  private readonly words: Int32Array;
  private readonly capacity: number;
  private readonly mask: number;
  private readonly data: Uint8Array;
  private readonly buf: Buffer;
  private readonly port: MessagePort;
  private readonly maxRecord: number;
  private w: number;
  /** R as last seen: stale only under-estimates free space, so it is reloaded only when full */
  private rSeen: number;
  private sideSeq = 0;
  private runBytes = 0;
  private readonly doorbell: () => void;

  /** `doorbell` wakes the parked reader (a postMessage it listens for). */
  constructor(sab: SharedArrayBuffer, port: MessagePort, doorbell: () => void) {
    this.doorbell = doorbell;
    const { words, capacity, mask, data, buf } = ringView(sab);
    this.words = words;
    this.capacity = capacity;
    this.mask = mask;
    this.data = data;
    this.buf = buf;
    this.port = port;
    this.maxRecord = capacity >> 2;
    this.w = Atomics.load(words, W);
    this.rSeen = Atomics.load(words, R);
  }

  /**
   * Sends a value with structured-clone semantics: plain data as JSON text, other cloneable values
   * as v8 bytes, what needs postMessage (shared memory, ports, `transfer`, big values) by the side
   * port. `plain`: the caller already knows whether the value is plain JSON data.
   */
  write(value: unknown, transfer?: readonly unknown[], plain?: boolean): void {
    if (transfer !== undefined && transfer.length > 0) return this.writeSide({ s: 0, v: value }, transfer);
    if (plain ?? (classify(value) & NOT_JSON) === 0) return this.writeJson(JSON.stringify(value));
    let bytes: Uint8Array;
    try {
      bytes = serializeStrict(value);
    } catch {
      // shared memory, ports: postMessage shares them (and throws DataCloneError where it cannot)
      return this.writeSide({ s: 0, v: value });
    }
    if (bytes.length + CONTROL_HEADER > this.maxRecord) return this.writeSide({ s: 0, v: value });
    this.putControl(KIND_V8, bytes, 0);
  }

  /** Sends text that is already JSON (the reader gets JSON.parse of it); it must be valid JSON. */
  writeJson(json: string): void {
    this.writeWrapped('', json, '');
  }

  /**
   * Sends `prefix + json + suffix` as one JSON record without building that string; `prefix` and
   * `suffix` are short ASCII (a record's fixed head and tail).
   */
  writeWrapped(prefix: string, json: string, suffix: string): void {
    const fixed = prefix.length + suffix.length;
    if (json.length * 3 + fixed + 3 > this.maxRecord && Buffer.byteLength(json) + fixed + 3 > this.maxRecord) return this.writeSide({ s: 0, j: prefix + json + suffix });
    this.checkOpen();
    const brk = this.runBytes > RUN_LIMIT ? 2 : 0;
    let need = brk + fixed + json.length * 3 + 1; // UTF-8 bound, and the comma
    let off = this.reserve(need, true);
    if (off < 0) {
      need = brk + fixed + Buffer.byteLength(json) + 1; // the exact size may fit where the bound did not
      off = this.reserve(need, false);
    }
    const data = this.data;
    if (brk !== 0) {
      data[off] = 0;
      data[off + 1] = KIND_BREAK;
      this.runBytes = 0;
    }
    let at = ascii(data, prefix, off + brk);
    const n = json.length <= SHORT ? asciiOrNot(data, json, at) : -1;
    at = n >= 0 ? at + n : at + utf8Write(this.buf, json, at, need - (at - off) - suffix.length - 1);
    at = ascii(data, suffix, at);
    data[at] = COMMA;
    const bytes = at + 1 - off;
    this.runBytes += bytes - brk;
    this.publish(bytes);
  }

  /** postMessage first, then the record that fixes the message's place in the order. */
  private writeSide(message: SideMessage, transfer?: readonly unknown[]): void {
    this.checkOpen();
    const seq = (this.sideSeq + 1) >>> 0;
    message.s = seq;
    this.port.postMessage(message, transfer as never); // throws DataCloneError as postMessage does
    this.sideSeq = seq;
    this.putControl(KIND_PORT, null, seq);
  }

  private putControl(kind: number, bytes: Uint8Array | null, seq: number): void {
    this.checkOpen();
    const len = bytes === null ? 4 : bytes.length;
    const off = this.reserve(len + CONTROL_HEADER, false);
    const data = this.data;
    data[off] = 0;
    data[off + 1] = kind;
    this.buf.writeUInt32LE(len, off + 2);
    if (bytes === null) this.buf.writeUInt32LE(seq >>> 0, off + CONTROL_HEADER);
    else data.set(bytes, off + CONTROL_HEADER);
    this.runBytes = 0;
    this.publish(len + CONTROL_HEADER);
  }

  /**
   * Where `need` contiguous bytes may be written (after a WRAP if needed). Blocks while the ring
   * is full, unless `probe` (then -1: the caller retries with an exact size).
   */
  private reserve(need: number, probe: boolean): number {
    const cap = this.capacity;
    if (need > cap) return -1;
    for (;;) {
      const w = this.w;
      const off = w & this.mask;
      const tail = cap - off;
      const total = need <= tail ? need : tail + need;
      if (total > cap - ((w - this.rSeen) >>> 0)) {
        this.rSeen = Atomics.load(this.words, R);
        if (total > cap - ((w - this.rSeen) >>> 0)) {
          if (probe) return -1;
          this.waitForSpace();
          continue;
        }
      }
      if (need <= tail) return off;
      this.data[off] = 0;
      if (tail > 1) this.data[off + 1] = KIND_WRAP;
      this.w = (w + tail) | 0; // published with the record that follows
      this.runBytes = 0;
      return 0;
    }
  }

  private publish(bytes: number): void {
    const w = (this.w + bytes) | 0;
    this.w = w;
    Atomics.store(this.words, W, w); // the record is now in the pipe
    // the reader parked: one writer's publish (the one that clears SLEEP) rings for all
    if (Atomics.load(this.words, SLEEP) !== 0 && Atomics.compareExchange(this.words, SLEEP, 1, 0) === 1) this.doorbell();
  }

  private waitForSpace(): void {
    this.checkOpen();
    const seen = this.rSeen;
    Atomics.store(this.words, WAITING, 1);
    Atomics.wait(this.words, R, seen, 1000); // re-checks R atomically; the timeout is a safety net
    Atomics.store(this.words, WAITING, 0);
    this.rSeen = Atomics.load(this.words, R);
  }

  private checkOpen(): void {
    if (Atomics.load(this.words, CLOSED) !== 0) throw new Error('the ring to the main thread is closed');
  }
}
