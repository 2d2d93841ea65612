import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { BrokenWorkerError, Pool } from 'troupe/multiprocessing';
import { mainSystem } from '../src/default-system.js';
import { maybeBreak, whoAmIInPool } from './fixtures/fidelity-targets.js';
import { square } from './fixtures/pool-tasks.js';

afterAll(() => mainSystem().shutdown());

const script = (name: string) => fileURLToPath(new URL(`./fixtures/scripts/${name}`, import.meta.url));

describe('Pool fidelity (DESIGN §4.5)', () => {
  it('a task sees its pool worker as currentProcess(): PoolWorker-N, a pid of its own, daemonic; recycling gives new ones', async () => {
    const pool = new Pool(1, { maxtasksperchild: 1 });
    const first = await pool.apply(whoAmIInPool, [1]);
    const second = await pool.apply(whoAmIInPool, [2]);
    await pool[Symbol.asyncDispose]();
    for (const me of [first, second]) {
      expect(me.name).toMatch(/^PoolWorker-\d+$/);
      expect(me.pid).not.toBe(me.main);
      expect(me.daemon).toBe(true);
    }
    expect(second.name).not.toBe(first.name);
    expect(second.pid).not.toBe(first.pid);
  }, 30_000);

  it('a non-callable initializer is a TypeError', () => {
    expect(() => new Pool(1, { initializer: 42 as never })).toThrow(TypeError);
  });

  it("imap reads the iterable lazily and throws the iterable's error after the results read before it", async () => {
    const pool = new Pool(2);
    let read = 0;
    function* numbers(): Generator<number> {
      for (let i = 0; i < 5; i++) {
        read++;
        yield i;
      }
      throw new RangeError('the iterable broke');
    }
    const results = pool.imap(square, numbers());
    expect(read).toBe(0);
    const got: number[] = [];
    const error = await (async () => {
      for await (const value of results) got.push(value);
    })().catch((e: unknown) => e);
    expect(got).toEqual([0, 1, 4, 9, 16]);
    expect(error).toBeInstanceOf(RangeError);
    await pool[Symbol.asyncDispose]();
  }, 30_000);

  it('a task that kills its worker takes only itself: 2,000 tasks, 2% exit or throw, the rest all succeed', async () => {
    const pool = new Pool(4);
    const how = (i: number): string => (i % 100 === 7 ? 'exit' : i % 100 === 42 ? 'throw' : 'ok');
    const results = Array.from({ length: 2000 }, (_, i) => pool.applyAsync(maybeBreak, [i, how(i)]));
    const outcomes = await Promise.all(results.map((r) => r.get().then((v) => ({ ok: true as const, v }), (e: unknown) => ({ ok: false as const, e }))));
    outcomes.forEach((outcome, i) => {
      const kind = how(i);
      if (kind === 'ok') expect(outcome, `task ${i}`).toEqual({ ok: true, v: i * 2 });
      else if (kind === 'throw') {
        expect(outcome.ok).toBe(false);
        expect((outcome as { e: Error }).e).toBeInstanceOf(RangeError);
        expect((outcome as { e: Error }).e.message).toBe(`task ${i} threw`);
      } else {
        expect(outcome.ok).toBe(false);
        expect((outcome as { e: Error }).e).toBeInstanceOf(BrokenWorkerError);
      }
    });
    pool.close();
    await pool.join();
  }, 120_000);

  it('Pool(200) on a small machine completes a map, closes, joins, and the script exits by itself', () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', script('big-pool.ts')], { encoding: 'utf8', timeout: 90_000 });
    expect(result.signal).toBeNull();
    expect(result.status).toBe(0);
    const sum = Array.from({ length: 1000 }, (_, i) => i * i).reduce((a, b) => a + b, 0);
    expect(result.stdout).toContain(`sum ${sum}`);
  }, 100_000);
});
