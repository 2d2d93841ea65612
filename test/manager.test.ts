import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultSystem } from 'troupe';
import { Event, KeyError, Manager, Process, Queue, RuntimeError, SerializationError, ValueError, type DictProxy, type ListProxy, type Value } from 'troupe/multiprocessing';
import { appendForever, fillManaged, nestFromChild } from './fixtures/shared-targets.js';

afterAll(() => defaultSystem().shutdown());

async function run(target: (...args: any[]) => unknown, args: unknown[]): Promise<number | null> {
  const p = new Process({ target, args });
  p.start();
  await p.join();
  return p.exitcode;
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

describe('managed dict (CPython test_dict)', () => {
  it('keeps keys with their type and insertion order', async () => {
    await using manager = await Manager();
    const d = await manager.dict<number, string>();
    for (const i of range(5).map((x) => x + 65)) await d.set(i, String.fromCharCode(i));
    expect(await d.copy()).toEqual({ 65: 'A', 66: 'B', 67: 'C', 68: 'D', 69: 'E' });
    expect(await d.keys()).toEqual([65, 66, 67, 68, 69]);
    expect(await d.values()).toEqual(['A', 'B', 'C', 'D', 'E']);
    expect(await d.items()).toEqual([[65, 'A'], [66, 'B'], [67, 'C'], [68, 'D'], [69, 'E']]);
    const mixed = await manager.dict<number | string, unknown>();
    await mixed.set(1, 'one');
    await mixed.set('1', 'string one');
    expect(await mixed.len()).toBe(2);
    expect(await mixed.get(1)).toBe('one');
    expect(await mixed.get('1')).toBe('string one');
    expect(await mixed.has(2)).toBe(false);
  });

  it('raises KeyError for a missing key without a fallback, like d[key], pop(key) and del d[key]', async () => {
    await using manager = await Manager();
    const d = await manager.dict<string, number>({ a: 1 });
    await expect(d.get('missing')).rejects.toThrow(KeyError);
    await expect(d.get('missing')).rejects.toMatchObject({ name: 'KeyError', message: "'missing'", key: 'missing' });
    expect(await d.get('missing', 7)).toBe(7);
    expect(await d.get('missing', undefined)).toBeUndefined();
    await expect(d.pop('missing')).rejects.toThrow(KeyError);
    expect(await d.pop('missing', 0)).toBe(0);
    expect(await d.pop('a')).toBe(1);
    await expect(d.delete('a')).rejects.toThrow(KeyError);
  });

  it('has update, setdefault, clear and copy', async () => {
    await using manager = await Manager();
    const d = await manager.dict<string | number, unknown>([['x', 1]]);
    await d.update({ y: 2 });
    await d.update(new Map<string | number, unknown>([[3, 'three']]));
    await d.update([['z', [1, 2]]]);
    expect(await d.setdefault('x', 100)).toBe(1);
    expect(await d.setdefault('w', 4)).toBe(4);
    expect(await d.items()).toEqual([['x', 1], ['y', 2], [3, 'three'], ['z', [1, 2]], ['w', 4]]);
    await d.clear();
    expect(await d.len()).toBe(0);
  });

  it('refuses unhashable keys and values that cannot travel', async () => {
    await using manager = await Manager();
    const d = await manager.dict<any, any>();
    await expect(d.set({ a: 1 }, 1)).rejects.toThrow(/unhashable type: 'dict'/);
    await expect(d.set('f', () => 1)).rejects.toThrow(SerializationError);
    expect(await d.len()).toBe(0);
  });

  it('gives copies: changing what was stored or read does not change the managed object', async () => {
    await using manager = await Manager();
    const d = await manager.dict<string, number[]>();
    const mine = [1, 2];
    await d.set('list', mine);
    mine.push(3);
    const read = (await d.get('list'))!;
    read.push(4);
    expect(await d.get('list')).toEqual([1, 2]);
  });
});

describe('managed list (CPython test_list)', () => {
  it('indexes, slices, extends and nests like a Python list', async () => {
    await using manager = await Manager();
    const a = await manager.list(range(10));
    expect(await a.slice()).toEqual(range(10));
    const b = await manager.list<number>();
    expect(await b.slice()).toEqual([]);
    await b.extend(range(5));
    expect(await b.slice()).toEqual(range(5));
    expect(await b.get(2)).toBe(2);
    expect(await b.slice(2, 10)).toEqual([2, 3, 4]);
    expect(await b.slice(-2)).toEqual([3, 4]);
    const e = await manager.list<ListProxy<number>>([a, b]);
    expect(await Promise.all((await e.copy()).map((inner) => inner.slice()))).toEqual([range(10), range(5)]);
    const f = await manager.list([a]);
    await a.append(99);
    expect(await (await f.get(0)).slice()).toEqual([...range(10), 99]);
  });

  it('raises RangeError (IndexError) out of range and ValueError for a missing item', async () => {
    await using manager = await Manager();
    const l = await manager.list<number>([1, 2, 3]);
    expect(await l.get(-1)).toBe(3);
    await expect(l.get(3)).rejects.toThrow(RangeError);
    await expect(l.set(-4, 0)).rejects.toThrow(RangeError);
    await expect(l.get(1.5)).rejects.toThrow(TypeError);
    await expect(l.remove(7)).rejects.toThrow(ValueError);
    await expect(l.index(7)).rejects.toThrow(/7 is not in list/);
    expect(await l.pop()).toBe(3);
    expect(await l.pop(0)).toBe(1);
    expect(await l.pop()).toBe(2);
    await expect(l.pop()).rejects.toThrow(/pop from empty list/);
  });

  it('inserts, removes, counts and reverses with Python\'s equality (1 == 1.0 == true)', async () => {
    await using manager = await Manager();
    const l = await manager.list<unknown>([1, 'a', [1, 2], 1]);
    await l.insert(-1, 'x');
    await l.insert(100, 'end');
    await l.insert(-100, 'start');
    expect(await l.copy()).toEqual(['start', 1, 'a', [1, 2], 'x', 1, 'end']);
    expect(await l.count(1)).toBe(2);
    expect(await l.count(true)).toBe(2);
    expect(await l.index([1, 2])).toBe(3);
    await l.remove(1);
    await l.reverse();
    expect(await l.copy()).toEqual(['end', 1, 'x', [1, 2], 'a', 'start']);
    expect(await l.len()).toBe(6);
  });

  it('sorts like Python: numbers by value, strings by code point, stable, TypeError for mixed types', async () => {
    await using manager = await Manager();
    const numbers = await manager.list<number | bigint>([10, 9, 1, 100, 2n, -0.5]);
    await numbers.sort();
    expect(await numbers.copy()).toEqual([-0.5, 1, 2n, 9, 10, 100]);
    await numbers.sort({ reverse: true });
    expect(await numbers.copy()).toEqual([100, 10, 9, 2n, 1, -0.5]);
    const strings = await manager.list(['b', 'B', 'a', '\u{1F600}', '\uFFFD', 'aa']);
    await strings.sort();
    expect(await strings.copy()).toEqual(['B', 'a', 'aa', 'b', '\uFFFD', '\u{1F600}']);
    const pairs = await manager.list([[2, 'x'], [1, 'z'], [1, 'y']]);
    await pairs.sort();
    expect(await pairs.copy()).toEqual([[1, 'y'], [1, 'z'], [2, 'x']]);
    const stable = await manager.list([1, true, 1.0, 0]);
    await stable.sort({ reverse: true });
    expect(await stable.copy()).toEqual([1, true, 1.0, 0]);
    const mixed = await manager.list<unknown>([3, 'a', 1]);
    await expect(mixed.sort()).rejects.toThrow(/'<' not supported between instances of 'str' and 'int'|'int' and 'str'/);
    expect(await mixed.copy()).toEqual([3, 'a', 1]);
    await expect((await manager.list([null, 1])).sort()).rejects.toThrow(TypeError);
  });
});

describe('managed Namespace (CPython test_namespace)', () => {
  it('gets, sets and deletes attributes; a missing one is an AttributeError-like TypeError', async () => {
    await using manager = await Manager();
    const n = await manager.Namespace();
    await n.set('name', 'Bob');
    await n.set('job', 'Builder');
    expect([await n.get('name'), await n.get('job')]).toEqual(['Bob', 'Builder']);
    await n.delete('job');
    expect(await n.toObject()).toEqual({ name: 'Bob' });
    await expect(n.get('job')).rejects.toThrow(/'Namespace' object has no attribute 'job'/);
    await expect(n.delete('job')).rejects.toThrow(TypeError);
  });
});

describe('nested proxies (CPython test_dict_proxy_nested, test_list_proxy_in_list, test_nested_queue)', () => {
  it('keeps a dict proxy stored in a dict or a list a live proxy to the same dict', async () => {
    await using manager = await Manager();
    const pets = await manager.dict<string, number>({ ferrets: 2, hamsters: 4 });
    const supplies = await manager.dict<string, number>({ water: 10, feed: 3 });
    const d = await manager.dict<string, DictProxy<string, number>>({ pets, supplies });
    expect(await (await d.get('supplies'))!.get('water')).toBe(10);
    await (await d.get('supplies'))!.set('blankets', 5);
    expect(await supplies.get('blankets')).toBe(5);
    await (await d.get('supplies'))!.set('water', 7);
    expect(await supplies.get('water')).toBe(7);
    await d.clear();
    expect(await d.len()).toBe(0);
    expect(await supplies.get('water')).toBe(7);
    expect(await pets.get('hamsters')).toBe(4);
    const l = await manager.list([pets, supplies]);
    await (await l.get(0)).set('marmots', 1);
    expect(await pets.get('marmots')).toBe(1);
    const outer = await manager.list<unknown>([[88, 99], l]);
    expect(await outer.get(0)).toEqual([88, 99]);
    const last = (await outer.get(-1)) as ListProxy<DictProxy<string, number>>;
    expect(await (await last.get(-1)).get('feed')).toBe(3);
  });

  it('keeps list proxies in a list live, and a list may hold itself', async () => {
    await using manager = await Manager();
    const inner = await Promise.all(range(3).map(() => manager.list(range(3))));
    const a = await manager.list(inner);
    await (await a.get(0)).set(-1, 55);
    expect(await (await a.get(0)).slice()).toEqual([0, 1, 55]);
    expect(await (await a.get(1)).slice()).toEqual([0, 1, 2]);
    expect(await (await a.get(1)).pop()).toBe(2);
    expect(await (await a.get(1)).len()).toBe(2);
    const b = await manager.list<unknown>();
    await b.append(b);
    expect(await ((await b.get(0)) as ListProxy).len()).toBe(1);
  });

  it('keeps a Queue stored in a list or a dict a working queue', async () => {
    await using manager = await Manager();
    const a = await manager.list<Queue<number>>();
    await a.append(await manager.Queue());
    await (await a.get(0)).put(123);
    expect(await (await a.get(0)).get()).toBe(123);
    const b = await manager.dict<number, Queue<number>>();
    await b.set(0, new Queue<number>());
    await (await b.get(0))!.put(456);
    expect(await (await b.get(0))!.get()).toBe(456);
  });

  it('keeps a Value stored in a dict the same shared memory, with its lock', async () => {
    await using manager = await Manager();
    const v = await manager.Value('i', 1);
    const d = await manager.dict<string, Value>({ v });
    const back = (await d.get('v'))!;
    back.value = 5;
    expect(v.value).toBe(5);
    await back.getLock().withLock(() => expect(v.getLock().locked()).toBe(true));
  });
});

describe('proxies across processes', { timeout: 30_000 }, () => {
  it('lets a child fill a dict and reverse a list (the Python docs example)', async () => {
    await using manager = await Manager();
    const d = await manager.dict<number | string, unknown>();
    const l = await manager.list(range(10));
    expect(await run(fillManaged, [d, l])).toBe(0);
    expect(await d.items()).toEqual([[1, '1'], ['2', 2], [0.25, null]]);
    expect(await l.copy()).toEqual(range(10).reverse());
  });

  it('lets a child use a Namespace and a dict proxy it read from a list', async () => {
    await using manager = await Manager();
    const ns = await manager.Namespace();
    const inner = await manager.dict<string, number>();
    const l = await manager.list([inner]);
    expect(await run(nestFromChild, [ns, l])).toBe(0);
    expect(await ns.get('name')).toBe('Bob');
    expect(await inner.get('fromChild')).toBe(1);
  });

  it('leaves a list consistent when a process is terminated in the middle of its calls', async () => {
    await using manager = await Manager();
    const l = await manager.list<number[]>();
    const started = new Event();
    const p = new Process({ target: appendForever, args: [l, started] });
    p.start();
    expect(await started.wait(20_000)).toBe(true);
    p.terminate();
    await p.join();
    const items = await l.copy();
    expect(items.length).toBeGreaterThan(10);
    items.forEach((item, i) => expect(item).toEqual([i, i * 2, i * 3]));
    await l.append([0]);
    expect(await l.len()).toBe(items.length + 1);
  });
});

describe('Manager shutdown', () => {
  it('makes later proxy and manager calls reject RuntimeError, never hang', async () => {
    const manager = await Manager();
    const d = await manager.dict<string, number>({ a: 1 });
    const l = await manager.list([1]);
    const lock = await manager.Lock();
    await manager.shutdown();
    await manager.shutdown();
    await expect(d.get('a')).rejects.toThrow(RuntimeError);
    await expect(l.append(2)).rejects.toThrow(/Manager was shut down/);
    await expect(manager.dict()).rejects.toThrow(RuntimeError);
    await expect(manager.Queue()).rejects.toThrow(RuntimeError);
    // troupe's own objects are not proxies: they keep working
    expect(await lock.acquire()).toBe(true);
    lock.release();
  });

  it('shuts down at the end of an `await using` scope', async () => {
    let d: DictProxy<string, number>;
    {
      await using manager = await Manager();
      d = await manager.dict({ a: 1 });
      expect(await d.get('a')).toBe(1);
    }
    await expect(d.len()).rejects.toThrow(RuntimeError);
  });
});

describe('a script that never shuts its Manager down', () => {
  it('exits by itself, as a Python script does', () => {
    const script = fileURLToPath(new URL('./fixtures/scripts/manager-left-running.ts', import.meta.url));
    const result = spawnSync(process.execPath, ['--import', 'tsx', script], { encoding: 'utf8', timeout: 30_000 });
    expect(result.signal).toBeNull();
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('dict [[1,"1"],["2",2],[0.25,null]] list [3,2,1] value 7 shm 8');
  }, 40_000);
});
