import { afterAll, describe, expect, it } from 'vitest';
import { BufferTooShort, EOFError, OSError, Pipe, SerializationError, ValueError } from 'troupe/multiprocessing';
import { mainSystem } from '../src/default-system.js';

afterAll(() => mainSystem().shutdown());

async function osError(promise: Promise<unknown> | (() => unknown)): Promise<OSError> {
  try {
    if (typeof promise === 'function') promise();
    else await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(OSError);
    return error as OSError;
  }
  throw new Error('expected an OSError');
}

describe('Pipe', () => {
  it('carries objects both ways in a duplex pipe, in order', async () => {
    const [a, b] = Pipe<unknown>();
    a.send(['hi!! I am Python']);
    a.send({ n: 2 });
    b.send('back');
    expect(await b.recv()).toEqual(['hi!! I am Python']);
    expect(await b.recv()).toEqual({ n: 2 });
    expect(await a.recv()).toBe('back');
    expect([a.readable, a.writable, b.readable, b.writable]).toEqual([true, true, true, true]);
  });

  it('Pipe(false) returns [reader, writer]; the wrong direction throws OSError', async () => {
    const [reader, writer] = Pipe<number>(false);
    expect([reader.readable, reader.writable, writer.readable, writer.writable]).toEqual([true, false, false, true]);
    writer.send(1);
    expect(await reader.recv()).toBe(1);
    expect((await osError(() => reader.send(2))).reason).toBe('read-only');
    expect((await osError(writer.recv())).reason).toBe('write-only');
  });

  it('rejects EOFError once the other end closed and everything it sent was read', async () => {
    const [a, b] = Pipe<number>();
    a.send(1);
    a.close();
    expect(a.closed).toBe(true);
    expect(await b.recv()).toBe(1);
    await expect(b.recv()).rejects.toBeInstanceOf(EOFError);
    expect(await b.poll()).toBe(true);
  });

  it('wakes a blocked recv() with EOFError when the other end closes', async () => {
    const [a, b] = Pipe();
    const pending = b.recv();
    a.close();
    await expect(pending).rejects.toBeInstanceOf(EOFError);
  });

  it('a closed end throws OSError (closed); sending to a closed end too', async () => {
    const [a, b] = Pipe();
    a.close();
    expect((await osError(() => a.send(1))).reason).toBe('closed');
    expect((await osError(a.recv())).reason).toBe('closed');
    // once the server has handled the close (b's poll is answered after it), b's sends are refused
    expect(await b.poll(0)).toBe(true);
    expect((await osError(() => b.send(1))).reason).toBe('closed');
  });

  it('poll(): false when nothing is there, true once something is, waits up to a timeout', async () => {
    const [a, b] = Pipe();
    expect(await b.poll()).toBe(false);
    expect(await b.poll(20)).toBe(false);
    const waiting = b.poll(null);
    a.send('x');
    expect(await waiting).toBe(true);
    expect(await b.poll()).toBe(true);
    expect(await b.recv()).toBe('x');
  });

  it('send() throws SerializationError synchronously and the pipe stays usable', async () => {
    const [a, b] = Pipe();
    expect(() => a.send({ f() {} })).toThrow(SerializationError);
    a.send('fine');
    expect(await b.recv()).toBe('fine');
  });

  it('sendBytes/recvBytes carry byte slices', async () => {
    const [a, b] = Pipe();
    a.sendBytes(new TextEncoder().encode('hello world'), 6, 5);
    a.sendBytes(new Uint16Array([1, 2]));
    expect(new TextDecoder().decode(await b.recvBytes())).toBe('world');
    expect(Array.from(await b.recvBytes())).toEqual([1, 0, 2, 0]);
    expect(() => a.sendBytes(new Uint8Array(2), 3)).toThrow(ValueError);
    expect(() => a.sendBytes(new Uint8Array(2), 1, 2)).toThrow(ValueError);
  });

  it('recvBytes(maxLength) on a longer message rejects OSError too-long and the end is no longer readable (Python)', async () => {
    const [a, b] = Pipe();
    a.sendBytes(new Uint8Array([1, 2, 3, 4]));
    a.sendBytes(new Uint8Array([5]));
    expect(b.readable).toBe(true);
    const error = await osError(b.recvBytes(2));
    expect(error.reason).toBe('too-long');
    expect(b.readable).toBe(false);
    expect((await osError(b.recv())).reason).toBe('too-long');
    // still writable: a duplex end only loses its reading side
    b.send('still here');
    expect(await a.recv()).toBe('still here');
  });

  it('recvBytesInto writes at an offset, or rejects BufferTooShort with the data', async () => {
    const [a, b] = Pipe();
    a.sendBytes(new Uint8Array([7, 8]));
    a.sendBytes(new Uint8Array([1, 2, 3]));
    const buf = new Uint8Array(4);
    expect(await b.recvBytesInto(buf, 2)).toBe(2);
    expect(Array.from(buf)).toEqual([0, 0, 7, 8]);
    const error = await b.recvBytesInto(new Uint8Array(2)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BufferTooShort);
    expect(Array.from((error as BufferTooShort).data)).toEqual([1, 2, 3]);
  });

  it('recvBytes of an object sent with send() gives its serialised bytes', async () => {
    const [a, b] = Pipe();
    a.send({ x: 1 });
    const bytes = await b.recvBytes();
    const { deserialize } = await import('node:v8');
    expect(deserialize(bytes)).toEqual({ x: 1 });
  });
});
