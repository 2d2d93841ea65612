/**
 * Regressions for bugs the soak (soak/) and the fuzzed API tests (test/fuzz/) found, where a
 * fuzz property alone would only find them by chance.
 */
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createSystem, ValueError, type SupervisorEvent } from 'troupe';
import { BoundedSemaphore, Empty, JoinableQueue, Process, Queue } from 'troupe/multiprocessing';
import { collectEvents, waitForRestart } from 'troupe/testing';
import { Worker } from './fixtures/sup-workers.js';
import { putForever } from './fixtures/queue-targets.js';

const quiet = () => createSystem({ hosts: 1, logger: pino({ level: 'silent' }) });

describe('regressions found by the soak and the fuzz tests', () => {
  it('a producer killed in the middle of put() leaves join() nothing to wait for (soak seed 1, 10 min)', async () => {
    // the producer used to count the unfinished task before its item left the thread: killed
    // in between, join() waited forever for an item that never came
    for (let round = 0; round < 12; round++) {
      const q = new JoinableQueue<number>();
      const producer = new Process({ target: putForever, args: [q] });
      producer.start();
      await q.get();
      q.taskDone();
      if (round % 2 === 0) producer.kill();
      else producer.terminate();
      await producer.join();
      let got = 1;
      for (;;) {
        try {
          const item = await q.getNowait();
          expect(item).toBe(got++);
          q.taskDone();
        } catch (error) {
          expect(error).toBeInstanceOf(Empty);
          break;
        }
      }
      await q.join();
      q.close();
    }
  }, 60_000);

  it('restarts no supervised Process child while its system shuts down', async () => {
    const system = await quiet();
    const sup = await system.supervise({
      strategy: 'one_for_one',
      intensity: 5,
      period: 5000,
      children: [{ id: 'sleeper', start: () => new Promise((resolve) => setTimeout(resolve, 60_000)) }],
    });
    const { events, stop } = collectEvents(sup);
    await system.shutdown();
    stop();
    expect(events.filter((e: SupervisorEvent) => e.type === 'restarted' || e.type === 'restart_failed')).toEqual([]);
  });

  it('waitForRestart rejects a bad supervisor or timeout at once and leaves no timer to throw later', async () => {
    for (const bad of [undefined, null, 42, {}]) {
      await expect(waitForRestart(bad as never, 'x', { timeout: 10 })).rejects.toBeInstanceOf(TypeError);
    }
    const system = await quiet();
    try {
      const sup = await system.supervise({ children: [{ id: 'w', start: Worker, args: ['w'] }] });
      for (const timeout of [-1, NaN, 'soon', 10n]) {
        await expect(waitForRestart(sup, 'w', { timeout: timeout as never })).rejects.toBeInstanceOf(ValueError);
      }
      // a timeout past setTimeout's range waits instead of expiring at once
      const far = waitForRestart(sup, 'w', { timeout: 1e10 });
      const crashed = (await sup.whichChildren())[0]!.pid as { send(m: unknown): void };
      crashed.send({ type: 'boom' });
      expect((await far).id).not.toBe(undefined);
    } finally {
      await system.shutdown();
    }
    // a timer armed for a bad call would fire here and throw, uncaught
    await new Promise((resolve) => setTimeout(resolve, 30));
  });

  it('an ask with a timeout past setTimeout\'s range waits for its reply (no overflowing timer), and bad timeouts are rejected', async () => {
    const system = await quiet();
    const warnings: string[] = [];
    const onWarning = (warning: Error): void => void warnings.push(warning.name);
    process.on('warning', onWarning);
    try {
      const ref = await system.spawn(Worker, { args: ['w'] });
      expect(await ref.ask({ type: 'ping' }, { timeout: 1e10 })).toBe('w');
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings).not.toContain('TimeoutOverflowWarning');
      expect(await ref.ask({ type: 'ping' }, { timeout: null as never })).toBe('w');
      for (const options of [1000, 'x', { timeout: 'x' }, { timeout: NaN }, { timeout: -5 }, { timeout: Symbol('t') }, { timeout: 10n }, { timeout: Object.create(null) }]) {
        await expect(ref.ask({ type: 'ping' }, options as never)).rejects.toBeInstanceOf(ValueError);
      }
    } finally {
      process.off('warning', onWarning);
      await system.shutdown();
    }
  });
});

describe('Maps with object keys in messages (found by fuzzing the manager proxies)', () => {
  it('sends a Map whose key is a null-prototype object instead of throwing an engine TypeError', async () => {
    const system = await quiet();
    try {
      const ref = await system.spawn(Worker, { args: ['w'] });
      const data = new Map<unknown, unknown>([[Object.create(null), 1], [{ a: 1 }, 2]]);
      expect(await ref.ask({ type: 'ping', data } as never, { timeout: 5000 })).toBe('w');
      const q = new Queue<Map<unknown, unknown>>();
      await q.put(data);
      expect((await q.get({ timeout: 5000 })).size).toBe(2);
      q.close();
    } finally {
      await system.shutdown();
    }
  });
});

describe('BoundedSemaphore permits of a holder killed mid-release (found by the soak)', () => {
  it('are not returned twice when the holder had put its permit back in shared memory before it died', async () => {
    const sem = new BoundedSemaphore(2);
    await sem.acquire(); // main holds one permit throughout
    // B takes the other permit, then does what release() does first — the permit goes back in
    // shared memory — and ends before telling the lock manager (as a kill between the two would)
    const value = new Int32Array((sem as unknown as { sab: SharedArrayBuffer }).sab);
    const b = new Process({
      target: async (s: BoundedSemaphore, word: Int32Array) => {
        await s.acquire();
        Atomics.add(word, 0, 1);
      },
      args: [sem, value],
    });
    b.start();
    await b.join(10_000);
    expect(b.exitcode).toBe(0);
    // this acquire reaches the lock manager after it has handled B's death
    expect(await sem.acquire({ timeout: 5000 })).toBe(true);
    expect(sem.getValue()).toBe(0); // main holds both permits: none was made up for B
    sem.release();
    sem.release();
    expect(() => sem.release()).toThrow(ValueError);
  });
});
