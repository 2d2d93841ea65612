/**
 * Pipe and Connection, as in CPython's multiprocessing/connection.py (DESIGN §4.3). One queue
 * server holds both ends' mailboxes; end `e` receives what the other end sent. The server tracks
 * who owns each end (whoever last used or received it), so recv() rejects EOFError once the other
 * end was closed or its owner exited and everything it sent has been read — it never hangs.
 */
import { serialize } from 'node:v8';
import { CLOSED, GONE, FLAGS, SIZE, type ToServer } from '../../actors/queue-server.js';
import { BufferTooShort, OSError, ValueError } from '../errors.js';
import { checkCloneable, registerHandle } from '../handles.js';
import { callerId, currentRuntime } from '../kernel-call.js';
import { trackAsyncIdentity, type Runtime } from '../runtime.js';
import { Inbox, NONE, Feeder, checkTimeout, startServer, WAITABLE } from './queue-client.js';

const LOCAL = Symbol('troupe.connection.local');

interface Local {
  runtime: Runtime;
  counts: Int32Array;
  inbox: Inbox;
  closed: boolean;
  /** a copy of this handle was sent to another thread: closing it here does not close the end */
  handedOff: boolean;
}

interface ConnectionData {
  __troupe: 'conn';
  id: string;
  end: 0 | 1;
  duplex: boolean;
  counts: SharedArrayBuffer;
}

/**
 * One end of a Pipe. `send` never blocks; receives return Promises. A Connection passed to a
 * Process or inside a message arrives as a working end of the same pipe.
 */
export class Connection<T = any> {
  declare readonly __troupe: 'conn';
  declare readonly id: string;
  declare readonly end: 0 | 1;
  declare readonly duplex: boolean;
  declare readonly counts: SharedArrayBuffer;
  declare [LOCAL]: Local;

  /** Connections come from Pipe(); this constructor is internal. */
  protected constructor() {}

  /** True once close() was called on this handle. */
  get closed(): boolean {
    return this[LOCAL].closed;
  }

  get readable(): boolean {
    return this.duplex || this.end === 0;
  }

  get writable(): boolean {
    return this.duplex || this.end === 1;
  }

  /** Sends `obj` to the other end (a structured-clone copy); SerializationError if it cannot travel. */
  send(obj: T): void {
    const local = this.usable('write');
    const peer = 1 - this.end;
    const flags = Atomics.load(local.counts, FLAGS);
    if ((flags & (CLOSED(peer) | GONE(peer))) !== 0) {
      throw new OSError(`cannot send: the other end of the pipe was ${(flags & CLOSED(peer)) !== 0 ? 'closed' : 'left by its exited owner'} (Python's BrokenPipeError)`, 'closed');
    }
    checkCloneable(obj, 'the object sent');
    Feeder.of(local.runtime, this.id).push(this.end, obj);
    Atomics.add(local.counts, SIZE + peer, 1);
  }

  /** Receives the next object; EOFError once the other end is closed or gone and all is read. */
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
   * ms waits up to that long; `null` waits until something is ready.
   */
  poll(timeout?: number | null): Promise<boolean> {
    return settle(() => {
      const local = this.usable('read');
      const ms = timeout === undefined ? 0 : checkTimeout(timeout, 'poll()');
      return local.inbox.poll(ms, { e: this.end }).ready;
    });
  }

  /** Sends `size` bytes of `buf` from `offset` (bytes) as one message. */
  sendBytes(buf: ArrayBufferView | ArrayBuffer, offset = 0, size?: number): void {
    const bytes = asBytes(buf, 'sendBytes(buf)');
    if (!Number.isInteger(offset) || offset < 0) throw new ValueError(`sendBytes: offset must be a non-negative integer (got ${offset})`);
    if (offset > bytes.length) throw new ValueError(`sendBytes: buffer length ${bytes.length} < offset ${offset}`);
    const count = size ?? bytes.length - offset;
    if (!Number.isInteger(count) || count < 0) throw new ValueError(`sendBytes: size must be a non-negative integer (got ${size})`);
    if (offset + count > bytes.length) throw new ValueError(`sendBytes: buffer length ${bytes.length} < offset + size (${offset + count})`);
    this.send(bytes.slice(offset, offset + count) as T);
  }

  /**
   * Receives one message as bytes (a message sent with send() arrives v8-serialised). A message
   * longer than `maxLength` rejects OSError `too-long` and, unlike Python, stays in the pipe: read
   * it with a larger maxLength, recvBytesInto() or recv().
   */
  recvBytes(maxLength?: number): Promise<Uint8Array> {
    return settle(async () => {
      if (maxLength !== undefined && (typeof maxLength !== 'number' || Number.isNaN(maxLength) || maxLength < 0)) {
        throw new ValueError(`recvBytes: maxLength must be a non-negative number (got ${String(maxLength)})`);
      }
      const local = this.usable('read');
      for (;;) {
        await local.inbox.fetch(this.getMessage(local));
        const peeked = local.inbox.peek();
        if (peeked === NONE) continue;
        const bytes = messageBytes(peeked);
        if (maxLength !== undefined && bytes.length > maxLength) {
          throw new OSError(`the message is ${bytes.length} bytes, longer than maxLength ${maxLength}; it stays in the pipe (read it with a larger maxLength)`, 'too-long');
        }
        if (local.inbox.take() !== NONE) return bytes;
      }
    });
  }

  /**
   * Receives one message into `buf` from byte `offset`; resolves the number of bytes written. If
   * it does not fit, rejects BufferTooShort whose `data` holds the whole message (consumed).
   */
  recvBytesInto(buf: ArrayBufferView | ArrayBuffer, offset = 0): Promise<number> {
    return settle(async () => {
      const target = asBytes(buf, 'recvBytesInto(buf)');
      if (!Number.isInteger(offset) || offset < 0) throw new ValueError(`recvBytesInto: offset must be a non-negative integer (got ${offset})`);
      if (offset > target.length) throw new ValueError(`recvBytesInto: offset ${offset} is beyond the buffer's ${target.length} bytes`);
      const bytes = messageBytes(await this.recv());
      if (bytes.length > target.length - offset) {
        throw new BufferTooShort(`the message is ${bytes.length} bytes but the buffer has ${target.length - offset} from offset ${offset}; it is in error.data`, bytes);
      }
      target.set(bytes, offset);
      return bytes.length;
    });
  }

  /**
   * Closes this handle. The other end sees EOF once everything sent was read — unless a copy of
   * this handle went to another process or actor, which then holds the end open (as with Python's
   * file descriptors after fork).
   */
  close(): void {
    const local = this[LOCAL];
    if (local.closed) return;
    local.closed = true;
    local.inbox.giveBack();
    if (!local.handedOff) local.inbox.send({ type: 'close', e: this.end, s: local.runtime.site });
  }

  [WAITABLE](): { ready: Promise<boolean>; cancel(): void } {
    return this.usable('read').inbox.poll(null, { e: this.end });
  }

  toString(): string {
    return `<Connection ${this.id}#${this.end}${this.duplex ? '' : this.end === 0 ? ' read-only' : ' write-only'}>`;
  }

  private usable(direction: 'read' | 'write'): Local {
    const local = this[LOCAL];
    if (local.closed) throw new OSError('handle is closed: close() was called on this Connection', 'closed');
    if (direction === 'read' && !this.readable) throw new OSError('connection is write-only: receive on the other end of Pipe(false)', 'write-only');
    if (direction === 'write' && !this.writable) throw new OSError('connection is read-only: send on the other end of Pipe(false)', 'read-only');
    return local;
  }

  private getMessage(local: Local): ToServer {
    return { type: 'get', c: this.end, e: this.end, block: true, timeout: null, s: local.runtime.site };
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
  // an end is owned by whoever uses it, also after an await in an actor's handler
  trackAsyncIdentity();
  const conn = Object.create(Connection.prototype) as Connection<T>;
  Object.assign(conn, { __troupe: 'conn', id: data.id, end: data.end, duplex: data.duplex, counts: data.counts });
  const counts = new Int32Array(data.counts);
  const local: Local = { runtime, counts, inbox: new Inbox(runtime, data.id, counts, data.end, false), closed: false, handedOff: false };
  Object.defineProperty(conn, LOCAL, { value: local, enumerable: false });
  // Structured clone reads own enumerable getters: this one tells the handle a copy left it.
  Object.defineProperty(conn, 'copied', {
    enumerable: true,
    get: () => {
      local.handedOff = true;
      return true;
    },
  });
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
  const owner = callerId() ?? `@${runtime.site}`;
  const { id, counts } = startServer('pipe', 0, { key: owner, site: runtime.site });
  const both = duplex !== false;
  return [attach<T>({ __troupe: 'conn', id, end: 0, duplex: both, counts }, runtime), attach<T>({ __troupe: 'conn', id, end: 1, duplex: both, counts }, runtime)];
}

registerHandle('conn', (data: ConnectionData, runtime) => {
  const conn = attach(data, runtime);
  // whoever receives an end owns it (until someone else uses it)
  runtime.send(data.id, { type: 'claim', e: data.end, s: runtime.site } satisfies ToServer, runtime.currentSender());
  return conn;
});
