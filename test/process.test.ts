import { describe, expect, it } from 'vitest';
import { ClosureError, RuntimeError, ValueError } from 'troupe';
import { activeChildren, cpuCount, currentProcess, parentProcess, Process } from 'troupe/multiprocessing';
import { cube, daemonStartsChild, Doubler, exitWith, leavesDaemonChild, nested, processExit, sleepForever, spin, throws, whoAmI } from './fixtures/process-targets.js';
import { mainSystem } from '../src/default-system.js';
import { multiprocessing } from '../src/multiprocessing/extension.js';

async function run(target: (...args: any[]) => unknown, args: unknown[] = []): Promise<Process> {
  const p = new Process({ target, args });
  p.start();
  await p.join();
  return p;
}

describe('Process', () => {
  it('runs a task target and joins with exitcode 0', async () => {
    const p = new Process({ target: cube, args: [3] });
    expect(p.pid).toBeNull();
    expect(p.exitcode).toBeNull();
    p.start();
    expect(p.pid).toBeGreaterThan(0);
    await p.join();
    expect(p.exitcode).toBe(0);
    expect(p.isAlive()).toBe(false);
    expect(await p.sentinel).toBe(0);
  });

  it('maps how a target ends to Python exit codes', async () => {
    expect((await run(throws)).exitcode).toBe(1);
    expect((await run(exitWith, [3])).exitcode).toBe(3);
    expect((await run(exitWith, [null])).exitcode).toBe(0);
    expect((await run(exitWith, [true])).exitcode).toBe(1);
    expect((await run(exitWith, ['bye'])).exitcode).toBe(1);
    expect((await run(processExit, [4])).exitcode).toBe(4);
  });

  it('runs self-contained inline functions sent by source', async () => {
    expect((await run((a: number, b: number) => { if (a + b !== 5) throw new Error('wrong'); }, [2, 3])).exitcode).toBe(0);
  });

  it('rejects a target that captures outer variables at start() with ClosureError', () => {
    const config = { n: 1 };
    const p = new Process({ target: () => config.n });
    expect(() => p.start()).toThrow(ClosureError);
    expect(() => p.start()).toThrow(/captures "config"/);
  });

  it('terminates (-15) and kills (-9) an endless loop, only that process', async () => {
    const a = new Process({ target: spin });
    const b = new Process({ target: sleepForever });
    a.start();
    b.start();
    await a.join(50);
    expect(a.isAlive()).toBe(true);
    a.terminate();
    b.kill();
    await a.join();
    await b.join();
    expect(a.exitcode).toBe(-15);
    expect(b.exitcode).toBe(-9);
    expect((await run(cube, [2])).exitcode).toBe(0);
  }, 20_000);

  it('join(timeout) returns while the process still runs', async () => {
    const p = new Process({ target: sleepForever });
    p.start();
    await p.join(20);
    expect(p.exitcode).toBeNull();
    p.terminate();
    await p.join();
  });

  it('throws the errors Python users expect on misuse', async () => {
    const p = new Process({ target: cube, args: [1] });
    await expect(p.join()).rejects.toBeInstanceOf(RuntimeError);
    p.start();
    expect(() => p.start()).toThrow(RuntimeError);
    expect(() => p.close()).toThrow(ValueError);
    await p.join();
    p.close();
    expect(() => p.exitcode).toThrow(ValueError);
    expect(() => p.start()).toThrow(ValueError);
    expect(() => new Process({ target: 3 as never })).toThrow(ValueError);
  });

  it('names processes Process-N and nested ones Process-N:M, with parents', async () => {
    const p = new Process({ target: nested, args: [1] });
    expect(p.name).toMatch(/^Process-\d+$/);
    p.start();
    await p.join();
    expect(p.exitcode).toBe(0);
    expect(currentProcess().name).toBe('MainProcess');
    expect(parentProcess()).toBeNull();
    expect((await run(whoAmI)).exitcode).toBe(0);
  });

  it('forbids daemonic processes to have children', async () => {
    const p = new Process({ target: daemonStartsChild, daemon: true });
    p.start();
    await p.join();
    expect(p.exitcode).toBe(1);
  });

  it('terminates daemon children when their parent process ends', async () => {
    const table = multiprocessing(mainSystem()).processes;
    const before = table.size;
    const p = new Process({ target: leavesDaemonChild });
    p.start();
    await p.join();
    expect(p.exitcode).toBe(0);
    // the parent terminated its daemon child and joined it before it ended (Python's _exit_function)
    expect(table.size).toBe(before);
  }, 20_000);

  it('runs a Process subclass that overrides run()', async () => {
    const p = new Doubler();
    p.value = 21;
    p.start();
    await p.join();
    expect(p.exitcode).toBe(0);
  });

  it('reaps finished children in activeChildren()', async () => {
    const p = new Process({ target: sleepForever });
    p.start();
    expect(activeChildren()).toContain(p);
    p.terminate();
    await p.join();
    expect(activeChildren()).not.toContain(p);
    expect(cpuCount()).toBeGreaterThan(0);
  });

  it('starts and joins 100 processes, and starts and terminates 100 more', async () => {
    const ps = Array.from({ length: 100 }, (_, i) => new Process({ target: exitWith, args: [i % 2 === 0 ? 0 : null] }));
    ps.forEach((p) => p.start());
    await Promise.all(ps.map((p) => p.join()));
    expect(ps.every((p) => p.exitcode === 0)).toBe(true);
    expect(new Set(ps.map((p) => p.pid)).size).toBe(100);
    const qs = Array.from({ length: 100 }, () => new Process({ target: sleepForever }));
    qs.forEach((q) => q.start());
    qs.forEach((q) => q.terminate());
    await Promise.all(qs.map((q) => q.join()));
    expect(qs.every((q) => q.exitcode === -15)).toBe(true);
  }, 150_000);
});
