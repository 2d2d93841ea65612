import { afterAll, describe, expect, it } from 'vitest';
import { Process } from 'troupe/multiprocessing';
import { mainSystem } from '../src/default-system.js';
import type { Host } from '../src/hosts/host.js';
import { cube, sleepForever } from './fixtures/process-targets.js';

afterAll(() => mainSystem().shutdown());

/** The host a just-started process was given, once run() has placed it (a few ticks). */
async function hostOfProcess(id: string): Promise<Host> {
  for (let i = 0; i < 1000; i++) {
    const host = mainSystem().hostOf(id);
    if (host) return host;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error(`process ${id} was never placed on a host`);
}

describe('a Process whose worker dies before it is up', () => {
  it('starts on another worker: nothing of it ran, so nothing is lost or reported', async () => {
    const p = new Process({ target: cube, args: [3] });
    p.start();
    const host = await hostOfProcess(p.ref!.id);
    // not up yet: the worker has not said 'ready' (a pool thread torn down under a new task)
    expect(host.threadId).toBe(-1);
    host.terminate();
    await p.join();
    expect(p.exitcode).toBe(0);
    expect(mainSystem().hostOf(p.ref!.id)).toBeUndefined();
  }, 30_000);

  it('is not started again once it was up: a worker that dies under a running process ends it (exit code 1)', async () => {
    const p = new Process({ target: sleepForever });
    p.start();
    const host = await hostOfProcess(p.ref!.id);
    while (host.threadId < 0) await new Promise((resolve) => setImmediate(resolve));
    host.terminate();
    await p.join();
    expect(p.exitcode).toBe(1);
  }, 30_000);
});
