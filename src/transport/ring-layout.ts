/**
 * The shared layout of a message ring: one worker thread writes, the main thread reads, through a
 * SharedArrayBuffer. A message whose write() has returned is in memory both threads own, so it
 * survives `worker.terminate()` or `process.exit()` of the writer, and it is read in exactly the
 * order it was written (DESIGN §1: a send that has returned is in the pipe).
 *
 *   [ header: control words, one per 64-byte line ][ data: `capacity` bytes, a power of two ]
 *
 *   W        bytes ever published (wraps at 2^32); written only by the writer
 *   R        bytes ever consumed (wraps at 2^32); written only by the reader
 *   SLEEP    1 while the reader is parked on it (the writer's store of W rings it)
 *   WAITING  1 while the writer waits for free space (the reader's store of R wakes it)
 *   CLOSED   1 once either side closed the ring
 *   CAP      the capacity, so both sides agree
 *
 * Records, byte-oriented:
 *   JSON record     UTF-8 of JSON.stringify(value), then ","  — JSON text never holds byte 0x00,
 *                   so a run of records is read as one string and parsed by one JSON.parse('[...]').
 *   control record  0x00 <kind:u8> <len:u32 LE> <len bytes>
 *     WRAP  the rest of the data area is padding (a lone 0x00 in the last byte is one too)
 *     V8    v8.serialize() bytes: values JSON cannot carry (Map, Date, BigInt, undefined, cycles)
 *     PORT  the next value is on the side port, with this sequence number: SharedArrayBuffers,
 *           MessagePorts, transfer lists, records too big for the ring
 *     BREAK no payload: ends a JSON run every few KiB, so the reader frees space in slices
 * A record never wraps: a WRAP pads to the end and the record starts at offset 0.
 *
 * Memory order: control words only through Atomics (sequentially consistent), record bytes plain.
 * The writer fills a record, then stores W; the reader loads W and reads only below it, so it
 * never sees a torn record (a writer killed before its store published nothing). The reader
 * copies a record out, then stores R; the writer overwrites only below R + capacity. Parking uses
 * the Dekker pattern: reader store(SLEEP,1) then load(W); writer store(W) then load(SLEEP); one of
 * them sees the other, so no wake-up is lost. A side-port value is posted before its PORT record
 * is published, so the reader finds it with receiveMessageOnPort when it reaches the record.
 */
import v8 from 'node:v8';

export const W = 0;
export const R = 16;
export const SLEEP = 32;
export const WAITING = 48;
export const CLOSED = 64;
export const CAP = 80;
export const HEADER_BYTES = 384;

export const KIND_WRAP = 0;
export const KIND_V8 = 1;
export const KIND_PORT = 3;
export const KIND_BREAK = 4;
/** 0x00, kind, u32 length */
export const CONTROL_HEADER = 6;
export const COMMA = 0x2c;

/** A SharedArrayBuffer for a ring of `capacity` data bytes (a power of two, 4 KiB … 1 GiB). */
/** Buffer#utf8Write skips Buffer#write's argument juggling, when present. */
const fastUtf8Write = (Buffer.prototype as unknown as { utf8Write?: (s: string, off: number, len: number) => number }).utf8Write;
export function utf8Write(buf: Buffer, s: string, off: number, len: number): number {
  return fastUtf8Write !== undefined ? fastUtf8Write.call(buf, s, off, len) : buf.write(s, off, len, 'utf8');
}

/** Buffer#utf8Slice skips Buffer#toString's argument juggling, when present. */
const fastUtf8Slice = (Buffer.prototype as unknown as { utf8Slice?: (start: number, end: number) => string }).utf8Slice;
export function utf8Slice(buf: Buffer, start: number, end: number): string {
  return fastUtf8Slice !== undefined ? fastUtf8Slice.call(buf, start, end) : buf.toString('utf8', start, end);
}

export function createRing(capacity: number): SharedArrayBuffer {
  if (!Number.isInteger(capacity) || capacity < 4096 || capacity > 1 << 30 || (capacity & (capacity - 1)) !== 0) {
    throw new RangeError('ring capacity must be a power of two between 4 KiB and 1 GiB');
  }
  const sab = new SharedArrayBuffer(HEADER_BYTES + capacity);
  new Int32Array(sab)[CAP] = capacity;
  return sab;
}

function ringWords(sab: SharedArrayBuffer): { words: Int32Array; capacity: number } {
  const words = new Int32Array(sab, 0, HEADER_BYTES >> 2);
  const capacity = Atomics.load(words, CAP);
  if (sab.byteLength !== HEADER_BYTES + capacity) throw new TypeError('not a ring buffer (use createRing)');
  return { words, capacity };
}

/** Both ends' views of a ring: its header words and its data area (bytes, and a Buffer for text). */
export interface RingView {
  words: Int32Array;
  capacity: number;
  mask: number;
  data: Uint8Array;
  buf: Buffer;
}

export function ringView(sab: SharedArrayBuffer): RingView {
  const { words, capacity } = ringWords(sab);
  return { words, capacity, mask: capacity - 1, data: new Uint8Array(sab, HEADER_BYTES, capacity), buf: Buffer.from(sab, HEADER_BYTES, capacity) };
}

/** What travels on the side port: its sequence number and the value (or JSON text too big for the ring). */
export interface SideMessage {
  s: number;
  v?: unknown;
  j?: string;
}

export function unwrapSide(message: SideMessage): unknown {
  return message.j !== undefined ? JSON.parse(message.j) : message.v;
}

/** Why a value must go by postMessage instead of the ring. */
class NeedsPort extends Error {}

/** v8.serialize would silently COPY a view on shared memory (postMessage shares it): refuse. */
class StrictSerializer extends v8.DefaultSerializer {
  _writeHostObject(object: object): void {
    if (ArrayBuffer.isView(object) && object.buffer instanceof SharedArrayBuffer) throw new NeedsPort('shared view');
    (v8.DefaultSerializer.prototype as unknown as { _writeHostObject(o: object): void })._writeHostObject.call(this, object);
  }
}

export function serializeStrict(value: unknown): Uint8Array {
  const serializer = new StrictSerializer();
  serializer.writeHeader();
  serializer.writeValue(value);
  return serializer.releaseBuffer();
}
