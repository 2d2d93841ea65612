import { afterAll, describe, expect, it } from 'vitest';
import { defaultSystem } from 'troupe';
import { FileExistsError, FileNotFoundError, OSError, Process, ValueError } from 'troupe/multiprocessing';
import { ShareableList, SharedMemory } from 'troupe/multiprocessing/shared_memory';
import { testSystem } from './helpers.js';
import { attachOrFail, attachThenWrite, createNamedBlock, setShareableItem, SharedUser } from './fixtures/shared-targets.js';

afterAll(() => defaultSystem().shutdown());

const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
let unique = 0;
const freshName = (prefix: string): string => `${prefix}_${process.pid}_${++unique}`;

async function run(target: (...args: any[]) => unknown, args: unknown[]): Promise<number | null> {
  const p = new Process({ target, args });
  p.start();
  await p.join();
  return p.exitcode;
}

describe('SharedMemory (CPython test_shared_memory_basics)', () => {
  it('creates a named block, attaches to it by name, and ignores the size when attaching', () => {
    const name = freshName('test01_tsmb');
    const sms = new SharedMemory({ name, create: true, size: 512 });
    expect(sms.name).toBe(name);
    expect(sms.size).toBe(512);
    expect(sms.buf.length).toBe(512);
    expect(String(sms)).toContain(name);
    expect(String(sms)).toContain('512');
    sms.buf[0] = 42;
    expect(sms.buf[0]).toBe(42);
    const also = new SharedMemory({ name });
    expect(also.buf[0]).toBe(42);
    also.close();
    const same = new SharedMemory({ name, size: 20 * 512 });
    expect(same.size).toBe(512);
    same.close();
    sms.close();
    sms.unlink();
  });

  it('names a block psm_ and 8 hex digits when no name is given', () => {
    const shm = new SharedMemory({ create: true, size: 4 });
    expect(shm.name).toMatch(/^psm_[0-9a-f]{8}$/);
    shm.unlink();
  });

  it('raises Python\'s errors for bad arguments', () => {
    expect(() => new SharedMemory({ create: true, size: -2 })).toThrow(ValueError);
    expect(() => new SharedMemory({ create: true, size: 0 })).toThrow(ValueError);
    expect(() => new SharedMemory({ create: true })).toThrow(ValueError);
    expect(() => new SharedMemory({ create: false })).toThrow(/'name' can only be None if create=True/);
    expect(() => new SharedMemory()).toThrow(ValueError);
    expect(() => new SharedMemory({ create: true, size: 1.5 })).toThrow(TypeError);
  });

  it('raises FileNotFoundError for an unknown name and on a second unlink, FileExistsError for a taken one', () => {
    expect(() => new SharedMemory({ name: freshName('nothing') })).toThrow(FileNotFoundError);
    const name = freshName('test01_dblunlink');
    const uno = new SharedMemory({ name, create: true, size: 5000 });
    expect(() => new SharedMemory({ name, create: true, size: 512 })).toThrow(FileExistsError);
    const duo = new SharedMemory({ name });
    duo.unlink();
    duo.close();
    uno.close();
    const error = (() => {
      try {
        uno.unlink();
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(FileNotFoundError);
    expect(error).toBeInstanceOf(OSError);
  });

  it('keeps attached handles working after unlink(), and frees the name for a new block', () => {
    const name = freshName('relink');
    const first = new SharedMemory({ name, create: true, size: 8 });
    const attached = new SharedMemory({ name });
    first.unlink();
    attached.buf[1] = 9;
    expect(first.buf[1]).toBe(9);
    expect(() => new SharedMemory({ name })).toThrow(FileNotFoundError);
    const second = new SharedMemory({ name, create: true, size: 8 });
    expect(second.buf[1]).toBe(0);
    second.unlink();
  });

  it('closes one handle only: its buf is gone (ValueError), other handles keep working', () => {
    const shm = new SharedMemory({ create: true, size: 8 });
    const other = new SharedMemory({ name: shm.name });
    shm.close();
    shm.close();
    expect(() => shm.buf).toThrow(ValueError);
    other.buf[0] = 1;
    expect(other.buf[0]).toBe(1);
    expect(shm.name).toMatch(/^psm_/);
    shm.unlink();
  });
});

describe('SharedMemory across processes (CPython test_shared_memory_across_processes)', { timeout: 30_000 }, () => {
  it('is attached by name in a child process, and also passed to it as a handle', async () => {
    const sms = new SharedMemory({ create: true, size: 512 });
    expect(await run(attachThenWrite, [sms.name, 'howdy'])).toBe(0);
    expect(text(sms.buf.subarray(0, 5))).toBe('howdy');
    expect(await run(attachThenWrite, [sms, 'HELLO'])).toBe(0);
    expect(text(sms.buf.subarray(0, 5))).toBe('HELLO');
    // the child closed its own handle only
    expect(sms.buf.length).toBe(512);
    sms.close();
    sms.unlink();
  });

  it('is created by name in a child process and attached to by the parent', async () => {
    const name = freshName('from_child');
    expect(await run(createNamedBlock, [name, 16, 7])).toBe(0);
    const shm = new SharedMemory({ name });
    expect([...shm.buf]).toEqual(new Array(16).fill(7));
    shm.close();
    shm.unlink();
    expect(await run(attachOrFail, [name])).toBe(2);
  });
});

describe('SharedMemory names', { timeout: 30_000 }, () => {
  it('are found from actors on shared hosts, in the facade\'s system and in another system', async () => {
    const shm = new SharedMemory({ create: true, size: 4 });
    shm.buf[0] = 99;
    const here = await defaultSystem().spawn(SharedUser, { placement: 'shared' });
    expect(await here.ask({ type: 'attach', name: shm.name })).toBe(99);
    const other = await testSystem({ hosts: 1 });
    try {
      const there = await other.spawn(SharedUser, { placement: 'shared' });
      expect(await there.ask({ type: 'attach', name: shm.name })).toBe(99);
      await expect(there.ask({ type: 'attach', name: 'no_such_block' })).rejects.toThrow(FileNotFoundError);
    } finally {
      await other.shutdown();
    }
    await here.stop();
    shm.unlink();
  });
});

describe('ShareableList (CPython test_shared_memory_ShareableList_basics)', () => {
  it('holds Python\'s items with Python\'s formats, limits and errors', () => {
    const sl = new ShareableList(['howdy', bytes('HoWdY'), -273.154, 100, null, true, 42]);
    expect(String(sl)).toContain(sl.shm.name);
    expect(() => sl.get(7)).toThrow(RangeError);
    expect(() => sl.set(7, 2)).toThrow(RangeError);
    sl.set(0, 'howdy');
    expect(sl.format).toBe('8s8sdqxxxxxx?xxxxxxxx?q');
    expect(sl.length).toBe(7);
    expect(() => sl.index('100')).toThrow(ValueError);
    expect(sl.index(100)).toBe(3);
    expect(sl.get(0)).toBe('howdy');
    expect(sl.get(-2)).toBe(true);
    expect([...sl]).toEqual(['howdy', bytes('HoWdY'), -273.154, 100, null, true, 42]);
    sl.set(3, 42);
    expect(sl.get(3)).toBe(42);
    sl.set(4, 'some');
    expect(sl.get(4)).toBe('some');
    expect(sl.format).toBe('8s8sdq8sxxxxxxx?q');
    expect(() => sl.set(4, 'far too many')).toThrow(/exceeds available storage/);
    expect(sl.get(4)).toBe('some');
    sl.set(0, 'encodés'); // exactly 8 bytes of UTF-8
    expect(sl.get(0)).toBe('encodés');
    expect(sl.get(1)).toEqual(bytes('HoWdY'));
    expect(() => sl.set(0, 'encodées')).toThrow(ValueError); // 9 bytes
    expect(() => sl.set(1, bytes('123456789'))).toThrow(/exceeds available storage/);
    expect(sl.get(1)).toEqual(bytes('HoWdY'));
    expect(sl.count(42)).toBe(2);
    expect(sl.count(bytes('HoWdY'))).toBe(1);
    expect(sl.count(bytes('adios'))).toBe(0);
    expect(() => sl.set(2, undefined as unknown as number)).toThrow(TypeError);
    expect(() => sl.set(2, {} as unknown as number)).toThrow(TypeError);

    const name = freshName('test03_duplicate');
    const copy = new ShareableList(sl, { name });
    expect(copy.shm.name).toBe(name);
    expect([...copy]).toEqual([...sl]);
    // slots are allocated by UTF-8 length: 'encodés' (7 characters, 8 bytes) gets 16 bytes here
    // (CPython counts characters, so a 5-character, 10-byte string would overflow its 8 bytes)
    expect(copy.format).toBe('16s8sdq8sxxxxxxx?q');
    copy.set(-1, 77);
    expect(copy.get(-1)).toBe(77);
    expect(sl.get(-1)).not.toBe(77);
    copy.shm.close();
    copy.shm.unlink();

    const tethered = new ShareableList(null, { name: sl.shm.name });
    expect(tethered.shm.name).toBe(sl.shm.name);
    tethered.set(-1, 880);
    expect(sl.get(-1)).toBe(880);
    tethered.shm.close();
    sl.shm.close();
    expect(() => sl.get(0)).toThrow(ValueError);
    sl.shm.unlink();
  });

  it('may be empty', () => {
    const empty = new ShareableList();
    expect(empty.length).toBe(0);
    expect(empty.format).toBe('');
    expect(empty.count('any')).toBe(0);
    expect(() => empty.index(null)).toThrow(ValueError);
    empty.shm.unlink();
  });

  it('keeps bigints, floats, trailing NULs and changes of type', () => {
    const sl = new ShareableList([2n ** 62n, 1.5, 'a\0\0', 7]);
    expect(sl.get(0)).toBe(2n ** 62n);
    expect(sl.get(1)).toBe(1.5);
    expect(sl.get(2)).toBe('a\0\0');
    sl.set(3, 2.25);
    sl.set(1, false);
    expect([sl.get(3), sl.get(1)]).toEqual([2.25, false]);
    expect(() => sl.set(0, 2n ** 64n)).toThrow(ValueError);
    sl.shm.unlink();
  });

  it('is attached by name and written by a child process, and travels to an actor', { timeout: 30_000 }, async () => {
    const sl = new ShareableList(['parent', 1, 2]);
    expect(await run(setShareableItem, [sl.shm.name, 0, 'child'])).toBe(0);
    expect(await run(setShareableItem, [sl.shm.name, 2, 42])).toBe(0);
    expect([...sl]).toEqual(['child', 1, 42]);
    const actor = await defaultSystem().spawn(SharedUser, { placement: 'shared' });
    expect(await actor.ask({ type: 'readList', list: sl })).toEqual(['child', 1, 42]);
    await actor.stop();
    sl.shm.close();
    sl.shm.unlink();
  });
});
