import { afterAll, describe, expect, it } from 'vitest';
import { defaultSystem } from 'troupe';
import {
  BrokenWorkerError,
  ClosureError,
  MaybeEncodingError,
  Pool,
  Process,
  RuntimeError,
  TimeoutError,
  ValueError,
} from 'troupe/multiprocessing';
import {
  add,
  breakWorker,
  failingInit,
  failOnThree,
  returnsFunction,
  setToken,
  slowSquare,
  square,
  sumOfSquaresInNestedPool,
  token,
} from './fixtures/pool-tasks.js';

afterAll(async () => {
  await defaultSystem().shutdown();
});

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const value of iterable) out.push(value);
  return out;
}

describe('Pool', () => {
  it('maps a task over an iterable, in order, whatever the chunksize', async () => {
    const pool = new Pool(2);
    const numbers = Array.from({ length: 50 }, (_, i) => i);
    const expected = numbers.map((x) => x * x);
    expect(await pool.map(square, numbers)).toEqual(expected);
    expect(await pool.map(square, new Set(numbers), 1)).toEqual(expected);
    expect(await pool.map(square, numbers, 7)).toEqual(expected);
    expect(await pool.map(square, [])).toEqual([]);
    pool.close();
    await pool.join();
  });

  it('runs self-contained functions and starmap argument tuples', async () => {
    const pool = new Pool(2);
    expect(await pool.map((x: number) => x + 1, [1, 2, 3])).toEqual([2, 3, 4]);
    expect(await pool.starmap(add, [[1, 2], [3, 4]])).toEqual([3, 7]);
    expect(await pool.starmapAsync((a: number, b: number) => a * b, [[2, 3]], 1).get()).toEqual([6]);
    await pool[Symbol.asyncDispose]();
  });

  it('throws ClosureError at the call for a function that captures a variable', async () => {
    const pool = new Pool(1);
    const offset = 1;
    expect(() => pool.applyAsync((x: number) => x + offset, [1])).toThrow(ClosureError);
    await expect(pool.map((x: number) => x + offset, [1])).rejects.toThrow(/captures "offset"/);
    await pool[Symbol.asyncDispose]();
  });

  it('applies with positional args and kwargs as a last argument', async () => {
    const pool = new Pool(1);
    expect(await pool.apply(add, [2, 3])).toBe(5);
    expect(await pool.apply(add, [2, 3], { times: 10 })).toBe(50);
    await pool[Symbol.asyncDispose]();
  });

  it('gives AsyncResults with get(timeout), ready, successful, wait and callbacks', async () => {
    const pool = new Pool(2);
    const seen: unknown[] = [];
    const result = pool.applyAsync(slowSquare, [4], undefined, (value) => seen.push(value));
    expect(result.ready()).toBe(false);
    expect(() => result.successful()).toThrow(ValueError);
    await expect(result.get(0)).rejects.toThrow(TimeoutError);
    await result.wait();
    expect(result.ready()).toBe(true);
    expect(result.successful()).toBe(true);
    expect(await result.get()).toBe(16);
    expect(seen).toEqual([16]);

    const errors: Error[] = [];
    const failed = pool.mapAsync(failOnThree, [1, 2, 3], 1, undefined, (error) => errors.push(error));
    await failed.wait(10_000);
    expect(failed.successful()).toBe(false);
    await expect(failed.get()).rejects.toThrow('three is not allowed');
    expect(errors.map((e) => e.message)).toEqual(['three is not allowed']);
    await pool[Symbol.asyncDispose]();
  });

  it('re-creates a task error with its name, message, own properties, remote stack and cause', async () => {
    const pool = new Pool(1);
    const error = (await pool.apply(failOnThree, [3]).catch((e: unknown) => e)) as Error & { code: string; cause: Error & { remoteStack: string; cause: Error } };
    expect(error.name).toBe('TaskError');
    expect(error.message).toBe('three is not allowed');
    expect(error.code).toBe('E_THREE');
    expect(error.cause.name).toBe('RemoteTraceback');
    expect(error.cause.remoteStack).toContain('failOnThree');
    expect(error.cause.cause).toBeInstanceOf(RangeError);
    expect(error.cause.cause.message).toBe('out of range');
    await pool[Symbol.asyncDispose]();
  });

  it('rejects a result that cannot be sent back with MaybeEncodingError, and goes on', async () => {
    const pool = new Pool(1);
    await expect(pool.map(returnsFunction, [1, 2, 3], 1)).rejects.toThrow(MaybeEncodingError);
    await expect(pool.apply(returnsFunction, [2])).rejects.toThrow(/Error sending result/);
    expect(await pool.map(returnsFunction, [1, 3])).toEqual([1, 3]);
    await pool[Symbol.asyncDispose]();
  });

  it('yields imap results in order and imapUnordered results as they complete', async () => {
    const pool = new Pool(2);
    const numbers = [5, 1, 4, 2, 3, 0];
    expect(await collect(pool.imap(slowSquare, numbers))).toEqual(numbers.map((x) => x * x));
    expect(await collect(pool.imap(square, numbers, 4))).toEqual(numbers.map((x) => x * x));
    const unordered = await collect(pool.imapUnordered(slowSquare, numbers));
    expect(unordered.sort((a, b) => a - b)).toEqual([0, 1, 4, 9, 16, 25]);
    await pool[Symbol.asyncDispose]();
  });

  it('raises an imap error at its position and lets iteration go on', async () => {
    const pool = new Pool(2);
    const iterator = pool.imap(failOnThree, [1, 2, 3, 4])[Symbol.asyncIterator]();
    expect((await iterator.next()).value).toBe(1);
    expect((await iterator.next()).value).toBe(2);
    await expect(iterator.next()).rejects.toThrow('three is not allowed');
    expect(await iterator.next()).toEqual({ done: false, value: 4 });
    expect((await iterator.next()).done).toBe(true);
    await pool[Symbol.asyncDispose]();
  });

  it('rejects BrokenWorkerError when a task kills its worker, replaces the worker and goes on', async () => {
    const pool = new Pool(2);
    await expect(pool.apply(breakWorker, ['exit'])).rejects.toThrow(BrokenWorkerError);
    expect(await pool.map(square, [1, 2, 3, 4], 1)).toEqual([1, 4, 9, 16]);
    expect(await pool.apply(breakWorker, ['fine'])).toBe('fine');
    pool.close();
    await pool.join();
  });

  it('terminate() rejects every pending result at once and ends the workers', async () => {
    const pool = new Pool(1);
    const hung = pool.applyAsync(breakWorker, ['hang']);
    const queued = pool.mapAsync(square, [1, 2, 3]);
    const stream = pool.imap(square, [1, 2])[Symbol.asyncIterator]();
    const pending = stream.next();
    pool.terminate();
    await expect(hung.get()).rejects.toThrow(RuntimeError);
    await expect(queued.get()).rejects.toThrow(/terminated/);
    await expect(pending).rejects.toThrow(/terminated/);
    await pool.join();
    expect(() => pool.applyAsync(square, [1])).toThrow(/Pool not running/);
  });

  it('close() lets queued work finish; join() needs close or terminate first', async () => {
    const pool = new Pool(2);
    const result = pool.mapAsync(slowSquare, [1, 2, 3, 4, 5], 1);
    await expect(pool.join()).rejects.toThrow(ValueError);
    pool.close();
    await expect(pool.map(square, [1])).rejects.toThrow(ValueError);
    await pool.join();
    expect(await result.get()).toEqual([1, 4, 9, 16, 25]);
  });

  it('runs the initializer once per worker before its tasks, and recycles workers after maxtasksperchild', async () => {
    const pool = new Pool(2, { initializer: setToken, initargs: ['w'] });
    const tokens = await pool.map(token, Array.from({ length: 20 }, (_, i) => i), 1);
    expect(tokens.every((t) => typeof t === 'string' && t.startsWith('w-'))).toBe(true);
    expect(new Set(tokens).size).toBeLessThanOrEqual(2);
    await pool[Symbol.asyncDispose]();

    const recycling = new Pool(1, { initializer: setToken, initargs: ['r'], maxtasksperchild: 2 });
    const recycled = await recycling.map(token, [1, 2, 3, 4, 5, 6], 1);
    expect(new Set(recycled).size).toBe(3);
    expect(recycled[0]).toBe(recycled[1]);
    recycling.close();
    await recycling.join();
  });

  it('fails every result with the initializer\'s error when it throws, instead of hanging', async () => {
    const pool = new Pool(1, { initializer: failingInit });
    const error = (await pool.map(square, [1, 2]).catch((e: unknown) => e)) as Error & { code: string };
    expect(error.message).toBe('cannot initialise');
    expect(error.code).toBe('E_INIT');
    await pool.join();
  });

  it('works inside a Process too: the pool workers are started by main on its behalf', async () => {
    const child = new Process({ target: sumOfSquaresInNestedPool, args: [5] });
    child.start();
    await child.join();
    expect(child.exitcode).toBe(0 + 1 + 4 + 9 + 16);
  });

  it('checks its arguments like Python', () => {
    expect(() => new Pool(0)).toThrow(/at least 1/);
    expect(() => new Pool(1, { maxtasksperchild: 0 })).toThrow(/maxtasksperchild/);
    expect(() => new Pool(1, { initializer: 'x' as never })).toThrow(/initializer/);
  });
});
