import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { Event, Process, Value } from 'troupe/multiprocessing';
import { SystemImpl } from '../src/system/system.js';
import { incrementThenHold, incrementUnderLock } from './fixtures/shared-targets.js';

// The facade's default system, with a quiet logger: the robust-lock WARNING of the killed-holder
// test is expected here (lock-workers.test.ts checks it).
const system = new SystemImpl({ name: 'default', logger: pino({ level: 'silent' }) });
(globalThis as Record<symbol, unknown>)[Symbol.for('troupe.defaultSystem')] = system;
afterAll(() => system.shutdown());

function start(target: (...args: any[]) => unknown, args: unknown[]): Process {
  const p = new Process({ target, args });
  p.start();
  return p;
}

describe('a Value shared by processes under its lock', () => {
  it('ends at exactly 4000 after 4 processes increment it 1000 times each', { timeout: 60_000 }, async () => {
    const counter = new Value('i', 0);
    const processes = Array.from({ length: 4 }, () => start(incrementUnderLock, [counter, 1000]));
    await Promise.all(processes.map((p) => p.join()));
    expect(processes.map((p) => p.exitcode)).toEqual([0, 0, 0, 0]);
    expect(counter.value).toBe(4000);
  });

  it('does not wedge the others when a process is terminated while it holds the lock', { timeout: 60_000 }, async () => {
    const counter = new Value('i', 0);
    const holding = new Event();
    const victim = start(incrementThenHold, [counter, 100, holding]);
    const others = Array.from({ length: 3 }, () => start(incrementUnderLock, [counter, 1000]));
    expect(await holding.wait(30_000)).toBe(true);
    expect(counter.getLock().locked()).toBe(true);
    victim.terminate();
    await Promise.all(others.map((p) => p.join()));
    await victim.join();
    expect(victim.exitcode).toBe(-15);
    expect(others.map((p) => p.exitcode)).toEqual([0, 0, 0]);
    // every increment made under the lock counts; the victim died holding it, between two of them
    expect(counter.value).toBe(3 * 1000 + 100);
    expect(counter.getLock().locked()).toBe(false);
    await counter.getLock().withLock(() => void (counter.value += 1));
    expect(counter.value).toBe(3101);
  });
});
