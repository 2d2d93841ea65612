import { afterAll, describe, expect, it } from 'vitest';
import { Barrier, EOFError, OSError, Pipe, Process, wait, type Connection } from 'troupe/multiprocessing';
import { mainSystem } from '../src/default-system.js';
import { passAndWait, sendOnce, writeTagged } from './fixtures/pipe-targets.js';

afterAll(() => mainSystem().shutdown());

/** Everything a connection receives until EOF. */
async function readToEof<T>(conn: Connection<T>): Promise<T[]> {
  const got: T[] = [];
  for (;;) {
    try {
      got.push(await conn.recv());
    } catch (error) {
      expect(error).toBeInstanceOf(EOFError);
      return got;
    }
  }
}

describe('copies of pipe ends (each holder has its own, as with file descriptors)', () => {
  it("the tutorial's idiom: start() then close() of the parent's copy keeps the child's copy open", async () => {
    const [parentConn, childConn] = Pipe<string>();
    const p = new Process({ target: sendOnce, args: [childConn, 'hi'] });
    p.start();
    childConn.close();
    expect(await parentConn.recv()).toBe('hi');
    await p.join();
    expect(p.exitcode).toBe(0);
    // the child's copy closed when it exited, and it was the last: EOF
    await expect(parentConn.recv()).rejects.toBeInstanceOf(EOFError);
  }, 20_000);

  it('a parent that keeps its copy keeps the pipe open after the child exits', async () => {
    const [parentConn, childConn] = Pipe<string>();
    const p = new Process({ target: sendOnce, args: [childConn, 'hello'] });
    p.start();
    await p.join();
    expect(await parentConn.recv()).toBe('hello');
    // our copy of the child's end is still open: no EOF, and the end still works both ways
    expect(await parentConn.poll(20)).toBe(false);
    childConn.send('from the copy we kept');
    expect(await parentConn.recv()).toBe('from the copy we kept');
    parentConn.send('back');
    expect(await childConn.recv()).toBe('back');
    childConn.close();
    await expect(parentConn.recv()).rejects.toBeInstanceOf(EOFError);
    // gone never becomes un-gone: sends to a finished end are refused
    expect(() => parentConn.send('anyone?')).toThrow(OSError);
  }, 20_000);

  it('fans in over wait(): 4 writer processes, all 40 messages, then EOF once every copy is closed', async () => {
    const [reader, writer] = Pipe<string>(false);
    const writers = ['a', 'b', 'c', 'd'].map((tag) => new Process({ target: writeTagged, args: [writer, tag, 10] }));
    for (const p of writers) p.start();
    writer.close();
    const got: string[] = [];
    for (;;) {
      const ready = await wait([reader], 10_000);
      expect(ready).toEqual([reader]);
      try {
        got.push(await reader.recv());
      } catch (error) {
        expect(error).toBeInstanceOf(EOFError);
        break;
      }
    }
    for (const p of writers) await p.join();
    expect(got).toHaveLength(40);
    for (const tag of ['a', 'b', 'c', 'd']) expect(got.filter((m) => m.startsWith(`${tag}:`))).toEqual(Array.from({ length: 10 }, (_, i) => `${tag}:${i}`));
  }, 30_000);

  it('5 processes x 1000 barrier passes through one pipe: five copies of i before any i+1, EOF after the last copy closes', async () => {
    const [reader, writer] = Pipe<number>(false);
    const barrier = new Barrier(5);
    const passes = 1000;
    const procs = Array.from({ length: 5 }, () => new Process({ target: passAndWait, args: [writer, barrier, passes] }));
    for (const p of procs) p.start();
    writer.close();
    const got = await readToEof(reader);
    for (const p of procs) await p.join();
    expect(got).toHaveLength(5 * passes);
    for (let i = 0; i < passes; i++) expect(got.slice(5 * i, 5 * i + 5)).toEqual([i, i, i, i, i]);
  }, 120_000);
});
