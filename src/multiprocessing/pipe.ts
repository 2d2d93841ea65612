/**
 * Pipe and Connection, as in CPython's multiprocessing/connection.py (DESIGN §4.3). One queue
 * server holds both ends' mailboxes; channel e holds what end 1-e sent. Each Connection object is
 * its holder's own copy of an end, as a file descriptor is in Python: sending it to a Process or
 * in a message gives the receiver a new copy (registered before the message leaves), close()
 * closes this copy only, and the other end sees EOF once every copy is closed or its holder exited.
 */
import { serialize } from 'node:v8';
import { newId } from '../id.js';
import { FINISHED, FLAGS, SIZE, type ToServer } from '../../actors/queue-server/protocol.js';
import { BufferTooShort, OSError, ValueError } from '../errors.js';
import { classify, registerHandle, TO_WIRE } from '../handles.js';
import { callerId, currentRuntime } from '../kernel-call.js';
import { trackAsyncIdentity, type Runtime } from '../runtime.js';
import { Inbox, NONE, startServer, waitTimeout, WAITABLE } from './queue-client.js';
import { describe } from '../describe.js';

const LOCAL = Symbol('troupe.connection.local');

interface Local {
  runtime: Runtime;
  counts: Int32Array;
  inbox: Inbox;
  closed: boolean;
  /** a message longer than recvBytes' maxLength was refused: the end reads no more (Python) */
  unreadable: boolean;
}

/** A Connection as it travels: its pipe, its end, and the copy the receiver will hold. */
interface ConnectionData {
  __troupe: 'conn';
  id: string;
  end: 0 | 1;
  duplex: boolean;
  counts: SharedArrayBuffer;
  copy: string;
}

/**
 * One end of a Pipe (one copy of it). `send` never blocks; receives return Promises. A Connection
 * passed to a Process or inside a message arrives as a working end of the same pipe.
 */
export class Connection<T = any> {
  declare readonly __troupe: 'conn';
  declare readonly id: string;
  declare readonly end: 0 | 1;
  declare readonly duplex: boolean;
  declare readonly counts: SharedArrayBuffer;
  declare readonly copy: string;
  declare [LOCAL]: Local;

  /** Connections come from Pipe(); this constructor is internal. */
  protected constructor() {}

  /** True once close() was called on this handle. */
  get closed(): boolean {
    return this[LOCAL].closed;
  }

  get readable(): boolean {
    return (this.duplex || this.end === 0) && !this[LOCAL].unreadable;
  }

  get writable(): boolean {
    return this.duplex || this.end === 1;
  }

  /**
   * Sends `obj` to the other end (a structured-clone copy); SerializationError if it cannot travel,
   * OSError (Python's BrokenPipeError) once every copy of the other end is closed.
   */
  send(obj: T): void {
    const local = this.usable('write');
    const peer = 1 - this.end;
    if ((Atomics.load(local.counts, FLAGS) & FINISHED(peer)) !== 0) {
      throw new OSError('cannot send: every copy of the other end of the pipe was closed, or its holders exited (Python\'s BrokenPipeError)', 'closed');
    }
    const flags = classify(obj, 'the object sent');
    Atomics.add(local.counts, SIZE + peer, 1);
    if (!local.inbox.putHere(peer, obj)) local.runtime.sendItem(this.id, 'sendMany', this.end, obj, flags);
  }

  /** Receives the next object; EOFError once every copy of the other end is closed and all is read. */
  recv(): Promise<T> {
    return settle(() => {
      const local = this.usable('read');
      const item = local.inbox.take();
      if (item !== NONE) return Promise.resolve(item as T);
      return local.inbox.receive(this.getMessage(local)) as Promise<T>;
    });
  }

  /**
   * Whether data (or EOF) is ready to read. As in Python, no timeout returns at once; a timeout in
   * ms waits up to that long (negative: 0); `null` waits until something is ready.
   */
  poll(timeout?: number | null): Promise<boolean> {
    return settle(() => {
      const local = this.usable('read');
      const ms = timeout === undefined ? 0 : waitTimeout(timeout, 'poll()');
      return local.inbox.poll(ms).ready;
    });
  }

  /** Sends `size` bytes of `buf` from `offset` (bytes) as one message. */
  sendBytes(buf: ArrayBufferView | ArrayBuffer, offset = 0, size?: number): void {
    const bytes = asBytes(buf, 'sendBytes(buf)');
    if (!Number.isInteger(offset) || offset < 0) throw new ValueError(`sendBytes: offset must be a non-negative integer (got ${describe(offset)})`);
    if (offset > bytes.length) throw new ValueError(`sendBytes: buffer length ${bytes.length} < offset ${offset}`);
    const count = size ?? bytes.length - offset;
    if (!Number.isInteger(count) || count < 0) throw new ValueError(`sendBytes: size must be a non-negative integer (got ${describe(size)})`);
    if (offset + count > bytes.length) throw new ValueError(`sendBytes: buffer length ${bytes.length} < offset + size (${offset + count})`);
    this.send(bytes.slice(offset, offset + count) as T);
  }

  /**
   * Receives one message as bytes (a message sent with send() arrives v8-serialised). A message
   * longer than `maxLength` rejects OSError `too-long`, and this end is no longer readable (Python).
   */
  recvBytes(maxLength?: number): Promise<Uint8Array> {
    return settle(async () => {
      if (maxLength !== undefined && (typeof maxLength !== 'number' || Number.isNaN(maxLength) || maxLength < 0)) {
        throw new ValueError(`recvBytes: maxLength must be a non-negative number (got ${describe(maxLength)})`);
      }
      const local = this.usable('read');
      const bytes = messageBytes(await this.recv());
      if (maxLength !== undefined && bytes.length > maxLength) {
        local.unreadable = true;
        throw new OSError(`bad message length: the message is ${bytes.length} bytes, longer than maxLength ${maxLength}; this end is no longer readable`, 'too-long');
      }
      return bytes;
    });
  }

  /**
   * Receives one message into `buf` from byte `offset`; resolves the number of bytes written. If
   * it does not fit, rejects BufferTooShort whose `data` holds the whole message (consumed).
   */
  recvBytesInto(buf: ArrayBufferView | ArrayBuffer, offset = 0): Promise<number> {
    return settle(async () => {
      const target = asBytes(buf, 'recvBytesInto(buf)');
      if (!Number.isInteger(offset) || offset < 0) throw new ValueError(`recvBytesInto: offset must be a non-negative integer (got ${describe(offset)})`);
      if (offset > target.length) throw new ValueError(`recvBytesInto: offset ${offset} is beyond the buffer's ${target.length} bytes`);
      const bytes = messageBytes(await this.recv());
      if (bytes.length > target.length - offset) {
        throw new BufferTooShort(`the message is ${bytes.length} bytes but the buffer has ${target.length - offset} from offset ${offset}; it is in error.data`, bytes);
      }
      target.set(bytes, offset);
      return bytes.length;
    });
  }

  /** Closes this copy (idempotent). The other end sees EOF once every copy of this end is closed. */
  close(): void {
    const local = this[LOCAL];
    if (local.closed) return;
    local.closed = true;
    local.inbox.giveBack();
    local.inbox.send({ type: 'close', copy: this.copy });
  }

  [WAITABLE](): { ready: Promise<boolean>; cancel(): void } {
    return this.usable('read').inbox.poll(null);
  }

  /** Leaving this thread: the receiver gets a copy of its own, registered first (held by `destination`). */
  [TO_WIRE](destination: string): ConnectionData {
    const local = this.usable('any');
    const copy = newId();
    local.inbox.send({ type: 'copy', end: this.end, copy, holder: destination });
    return { __troupe: 'conn', id: this.id, end: this.end, duplex: this.duplex, counts: this.counts, copy };
  }

  toString(): string {
    return `<Connection ${this.id}#${this.end}${this.duplex ? '' : this.end === 0 ? ' read-only' : ' write-only'}>`;
  }

  private usable(direction: 'read' | 'write' | 'any'): Local {
    const local = this[LOCAL];
    if (local.closed) throw new OSError('handle is closed: close() was called on this Connection', 'closed');
    if (direction === 'read' && !(this.duplex || this.end === 0)) throw new OSError('connection is write-only: receive on the other end of Pipe(false)', 'write-only');
    if (direction === 'read' && local.unreadable) throw new OSError('connection is not readable: an earlier recvBytes(maxLength) met a longer message', 'too-long');
    if (direction === 'write' && !this.writable) throw new OSError('connection is read-only: send on the other end of Pipe(false)', 'read-only');
    return local;
  }

  private getMessage(local: Local): Extract<ToServer, { type: 'get' }> {
    return { type: 'get', channel: this.end, block: true, timeout: null, site: local.runtime.site };
  }
}

function settle<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return fn();
  } catch (error) {
    return Promise.reject(error);
  }
}

function asBytes(buf: ArrayBufferView | ArrayBuffer, what: string): Uint8Array {
  if (buf instanceof ArrayBuffer || buf instanceof SharedArrayBuffer) return new Uint8Array(buf);
  if (ArrayBuffer.isView(buf)) return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  throw new ValueError(`${what} needs an ArrayBuffer or a typed array / Buffer / DataView`);
}

function messageBytes(message: unknown): Uint8Array {
  if (message instanceof Uint8Array) return message;
  if (message instanceof ArrayBuffer || ArrayBuffer.isView(message)) return asBytes(message as ArrayBuffer, 'message');
  const buffer = serialize(message);
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

function attach<T>(data: ConnectionData, runtime: Runtime): Connection<T> {
  // an end's reader is known by who calls recv(), also after an await in an actor's handler
  trackAsyncIdentity();
  const conn = Object.create(Connection.prototype) as Connection<T>;
  Object.assign(conn, data);
  const counts = new Int32Array(data.counts);
  const local: Local = { runtime, counts, inbox: new Inbox(runtime, data.id, counts, data.end, false), closed: false, unreadable: false };
  Object.defineProperty(conn, LOCAL, { value: local, enumerable: false });
  return conn;
}

/**
 * Two connected ends. Duplex (default): both send and receive. `Pipe(false)` returns
 * `[reader, writer]`.
 *
 * @example const [a, b] = Pipe(); a.send('hi'); await b.recv(); // 'hi'
 */
export function Pipe<T = any>(duplex = true): [Connection<T>, Connection<T>] {
  const runtime = currentRuntime();
  const holder = callerId() ?? `@${runtime.site}`;
  const copies: [string, string] = [newId(), newId()];
  const { id, counts } = startServer('pipe', 0, { holder, copies });
  const both = duplex !== false;
  return [
    attach<T>({ __troupe: 'conn', id, end: 0, duplex: both, counts, copy: copies[0] }, runtime),
    attach<T>({ __troupe: 'conn', id, end: 1, duplex: both, counts, copy: copies[1] }, runtime),
  ];
}

registerHandle('conn', (data: ConnectionData, runtime, holder) => {
  const conn = attach(data, runtime);
  // this copy is ours now (it was registered for whoever it was sent to)
  runtime.send(data.id, { type: 'transfer', copy: data.copy, holder, site: runtime.site } satisfies ToServer, runtime.currentSender());
  return conn;
});
