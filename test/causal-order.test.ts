import { afterAll, describe, expect, it } from 'vitest';
import { Barrier, EOFError, Event, Pipe, Process, Queue } from 'troupe/multiprocessing';
import { mainSystem } from '../src/default-system.js';
import { flagSet } from './helpers.js';
import { putAndWait, sendThenCompute, sendThenSet } from './fixtures/pipe-targets.js';

afterAll(() => mainSystem().shutdown());

describe('causal order per thread (DESIGN §1)', () => {
  it('nothing a child sent before it set an Event is lost when the parent kills it on seeing the Event', async () => {
    for (let round = 0; round < 10; round++) {
      const [reader, writer] = Pipe<number>(false);
      const done = new Event();
      const p = new Process({ target: sendThenSet, args: [writer, done, 5] });
      p.start();
      writer.close();
      // generous: a fresh worker boots each round (the last one was killed), on a loaded machine
      const seen = await done.wait(30_000);
      // false with the flag set would be a lost wake-up; false with it clear, a child that never set it
      expect({ seen, flag: done.isSet() }).toEqual({ seen: true, flag: true });
      p.kill();
      await p.join();
      const got: number[] = [];
      for (;;) {
        try {
          got.push(await reader.recv());
        } catch (error) {
          expect(error).toBeInstanceOf(EOFError);
          break;
        }
      }
      expect(got, `round ${round}`).toEqual([0, 1, 2, 3, 4]);
    }
  }, 180_000);

  it('a send that has returned is in the pipe: a child killed while it computes loses none of its sends', async () => {
    for (let round = 0; round < 10; round++) {
      const [reader, writer] = Pipe<number>(false);
      const sent = new Int32Array(new SharedArrayBuffer(4));
      const p = new Process({ target: sendThenCompute, args: [writer, 7, sent] });
      p.start();
      writer.close();
      await flagSet(sent);
      p.terminate();
      await p.join();
      const got: number[] = [];
      for (;;) {
        try {
          got.push(await reader.recv());
        } catch (error) {
          expect(error).toBeInstanceOf(EOFError);
          break;
        }
      }
      expect(got, `round ${round}`).toEqual([0, 1, 2, 3, 4, 5, 6]);
    }
  }, 60_000);

  it('items put before a barrier wait are in the queue before any party passes the barrier', async () => {
    const q = new Queue<number>();
    const barrier = new Barrier(5);
    const passes = 200;
    const procs = Array.from({ length: 5 }, () => new Process({ target: putAndWait, args: [q, barrier, passes] }));
    for (const p of procs) p.start();
    const got: number[] = [];
    for (let n = 0; n < 5 * passes; n++) got.push(await q.get({ timeout: 20_000 }));
    for (const p of procs) await p.join();
    for (let i = 0; i < passes; i++) expect(got.slice(5 * i, 5 * i + 5)).toEqual([i, i, i, i, i]);
  }, 60_000);
});
