import { afterAll, describe, expect, it } from 'vitest';
import { defaultSystem } from 'troupe';
import { Array as SharedArray, Lock, Pool, Process, RawArray, RawArrayObject, RawValue, RawValueObject, RLock, Semaphore, Value, ValueError, type TypeCode } from 'troupe/multiprocessing';
import { addToValue, prefixSums, SharedUser, writeValues } from './fixtures/shared-targets.js';

afterAll(() => defaultSystem().shutdown());

async function run(target: (...args: any[]) => unknown, args: unknown[]): Promise<number | null> {
  const p = new Process({ target, args });
  p.start();
  await p.join();
  return p.exitcode;
}

// CPython's _TestValue.codes_values, less 'c' (no char typecode here) plus the unsigned and 64-bit codes
const codesValues: [TypeCode, number | bigint, number | bigint][] = [
  ['i', 4343, 24234],
  ['d', 3.625, -4.25],
  ['h', -232, 234],
  ['q', 2n ** 33n, 2n ** 34n],
  ['B', 7, 250],
  ['L', 2n ** 40n, 2n ** 63n],
  ['f', 0.5, -1.5],
];

describe('Value and RawValue (CPython test_value, test_rawvalue)', { timeout: 30_000 }, () => {
  for (const raw of [false, true]) {
    it(`${raw ? 'a RawValue' : 'a Value'} is written by a child process and read by the parent, for every typecode`, async () => {
      const values = codesValues.map(([code, value]) => (raw ? new RawValue(code, value) : new Value(code, value)));
      values.forEach((shared, i) => expect(shared.value).toBe(codesValues[i]![1]));
      expect(await run(writeValues, [values, codesValues.map(([, , next]) => next)])).toBe(0);
      values.forEach((shared, i) => expect(shared.value).toBe(codesValues[i]![2]));
    });
  }

  it('starts at zero, 0n for the 64-bit codes', () => {
    expect(new Value('i').value).toBe(0);
    expect(new RawValue('d').value).toBe(0);
    expect(new Value('q').value).toBe(0n);
    expect(new RawValue('Q').value).toBe(0n);
  });

  it('wraps integers out of range as ctypes does', () => {
    expect(new Value('b', 200).value).toBe(-56);
    expect(new Value('B', -1).value).toBe(255);
    expect(new RawValue('Q', -1n).value).toBe(2n ** 64n - 1n);
  });

  it('raises TypeError for an unknown typecode and for a value of the wrong kind', () => {
    expect(() => new Value('c' as TypeCode, 1)).toThrow(TypeError);
    expect(() => new RawValue('x' as TypeCode)).toThrow(/unknown typecode 'x'/);
    expect(() => new Value('i', 1.5)).toThrow(TypeError);
    expect(() => new Value('q', 1 as unknown as bigint)).toThrow(/bigint/);
    expect(() => new Value('d', 1n as unknown as number)).toThrow(TypeError);
    const v = new Value('i', 1);
    expect(() => (v.value = 'two' as unknown as number)).toThrow(TypeError);
    expect(() => (v.value = NaN)).toThrow(TypeError);
    expect(v.value).toBe(1);
  });
});

describe('getLock() and getObj() (CPython test_getobj_getlock)', () => {
  it('gives a Value a new RLock by default (also for lock: true and null)', () => {
    for (const options of [undefined, { lock: true }, { lock: null as unknown as boolean }]) {
      const v = new Value('i', 5, options);
      expect(v.getLock()).toBeInstanceOf(RLock);
    }
    expect(new Value('i', 5).getLock()).not.toBe(new Value('i', 5).getLock());
  });

  it('returns the very lock it was given', () => {
    const lock = new Lock();
    expect(new Value('i', 5, { lock }).getLock()).toBe(lock);
    const rlock = new RLock();
    expect(new SharedArray('i', 3, { lock: rlock }).getLock()).toBe(rlock);
  });

  it('gives the raw object sharing the same memory', () => {
    const v = new Value('i', 5);
    const obj = v.getObj();
    expect(obj).toBeInstanceOf(RawValueObject);
    expect(obj).not.toHaveProperty('getLock');
    obj.value = 6;
    expect(v.value).toBe(6);
    const arr = new SharedArray('h', [1, 2, 3]);
    const raw = arr.getObj();
    expect(raw).toBeInstanceOf(RawArrayObject);
    raw.set(0, 9);
    expect(arr.get(0)).toBe(9);
  });

  it('has no lock and no raw object with lock: false (AttributeError-like TypeError)', () => {
    const v = new Value('i', 5, { lock: false });
    expect(() => v.getLock()).toThrow(TypeError);
    expect(() => v.getObj()).toThrow(/no attribute 'getObj'/);
    const arr = new SharedArray('i', 10, { lock: false });
    expect(() => arr.getLock()).toThrow(/no attribute 'getLock'/);
    expect(new RawValue('i', 5)).not.toHaveProperty('getLock');
    expect(new RawArray('i', 5)).not.toHaveProperty('getObj');
  });

  it('refuses a lock that is not a lock', () => {
    expect(() => new Value('i', 5, { lock: 'navalue' as unknown as boolean })).toThrow(TypeError);
    expect(() => new SharedArray('i', [1], { lock: {} as unknown as boolean })).toThrow(TypeError);
  });

  it('accepts any troupe lock-like primitive (a Semaphore, as Python accepts any object with acquire)', async () => {
    const sem = new Semaphore(1);
    const v = new Value('i', 0, { lock: sem as unknown as Lock });
    await v.getLock().withLock(() => (v.value += 1));
    expect(v.value).toBe(1);
  });
});

describe('Array and RawArray (CPython test_array, test_rawarray, test_array_from_size)', { timeout: 30_000 }, () => {
  const seq = [680, 626, 934, 821, 150, 233, 548, 982, 714, 831];

  for (const raw of [false, true]) {
    it(`${raw ? 'a RawArray' : 'an Array'} is indexed, sliced, and changed in place by a child process`, async () => {
      const expected = [...seq];
      const arr = raw ? new RawArray('i', seq) : new SharedArray('i', seq);
      expect(arr.length).toBe(seq.length);
      expect(arr.get(3)).toBe(seq[3]);
      expect(arr.slice(2, 7)).toEqual(seq.slice(2, 7));
      arr.view.set([1, 2, 3, 4], 4);
      expected.splice(4, 4, 1, 2, 3, 4);
      expect(arr.slice()).toEqual(expected);
      for (let i = 1; i < expected.length; i++) expected[i]! += expected[i - 1]!;
      expect(await run(prefixSums, [arr])).toBe(0);
      expect(arr.slice()).toEqual(expected);
    });
  }

  it('is zeroed when made from a size', () => {
    for (let round = 0; round < 3; round++) {
      const arr = new SharedArray('i', 10);
      expect(arr.length).toBe(10);
      expect([...arr]).toEqual(new Array(10).fill(0));
      arr.view.set(Array.from({ length: 10 }, (_, i) => i));
      expect([...arr]).toEqual(Array.from({ length: 10 }, (_, i) => i));
    }
    expect(new RawArray('d', 0).length).toBe(0);
  });

  it('indexes like Python: negatives from the end, RangeError (IndexError) out of range, TypeError for non-integers', () => {
    const arr = new SharedArray('i', [1, 2, 3]);
    expect(arr.get(-1)).toBe(3);
    arr.set(-3, 10);
    expect(arr.get(0)).toBe(10);
    expect(() => arr.get(3)).toThrow(RangeError);
    expect(() => arr.set(-4, 1)).toThrow(RangeError);
    expect(() => arr.get(1.5)).toThrow(TypeError);
    expect(arr.slice(-2)).toEqual([2, 3]);
    expect(arr.slice(1, 100)).toEqual([2, 3]);
    expect(arr.slice(2, 1)).toEqual([]);
  });

  it('holds bigints in l L q Q arrays, and its view is the typed array itself', () => {
    const arr = new SharedArray('q', [1n, -2n, 2n ** 62n]);
    expect(arr.view).toBeInstanceOf(BigInt64Array);
    expect([...arr]).toEqual([1n, -2n, 2n ** 62n]);
    expect(() => arr.set(0, 1 as unknown as bigint)).toThrow(TypeError);
    expect(new RawArray('L', 2).view).toBeInstanceOf(BigUint64Array);
    expect(new RawArray('f', 2).view).toBeInstanceOf(Float32Array);
  });

  it('raises Python\'s errors for bad sizes and initializers', () => {
    expect(() => new SharedArray('i', -1)).toThrow(ValueError);
    expect(() => new SharedArray('i', 2.5)).toThrow(TypeError);
    expect(() => new RawArray('i', [1, 2.5])).toThrow(TypeError);
    expect(() => new RawArray('q', [1, 2] as unknown as bigint[])).toThrow(TypeError);
    expect(() => new SharedArray('z' as TypeCode, 3)).toThrow(TypeError);
  });
});

describe('shared values travel to actors and Pool tasks', { timeout: 30_000 }, () => {
  it('reaches an actor on a shared host and on an exclusive host, both working on the same memory and lock', async () => {
    const system = defaultSystem();
    const counter = new Value('i', 0);
    const shared = await system.spawn(SharedUser, { placement: 'shared' });
    const exclusive = await system.spawn(SharedUser, { placement: 'exclusive' });
    await Promise.all([
      shared.ask({ type: 'increment', counter, times: 100 }, { timeout: 20_000 }),
      exclusive.ask({ type: 'increment', counter, times: 100 }, { timeout: 20_000 }),
      (async () => {
        for (let i = 0; i < 100; i++) await counter.getLock().withLock(() => void (counter.value += 1));
      })(),
    ]);
    expect(counter.value).toBe(300);
    await Promise.all([shared.stop(), exclusive.stop()]);
  });

  it('reaches Pool tasks, which share its memory and its lock', async () => {
    const counter = new Value('q', 0n);
    await using pool = new Pool(2);
    const seen = await pool.starmap(addToValue, Array.from({ length: 20 }, () => [counter, 1n]));
    expect(counter.value).toBe(20n);
    expect([...seen].sort((a, b) => Number(a) - Number(b))).toEqual(Array.from({ length: 20 }, (_, i) => BigInt(i + 1)));
  });
});
