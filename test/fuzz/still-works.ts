/**
 * What "the runtime still works" means after a fuzz suite: a Queue round trip, a Process
 * start/join, and a supervised restart.
 */
import pino from 'pino';
import { expect } from 'vitest';
import { createSystem } from 'troupe';
import { Process, Queue } from 'troupe/multiprocessing';
import { waitForRestart } from 'troupe/testing';
import { Worker } from '../fixtures/sup-workers.js';

export async function expectStillWorks(): Promise<void> {
  const q = new Queue<{ n: number }>();
  await q.put({ n: 1 });
  expect(await q.get({ timeout: 5000 })).toEqual({ n: 1 });
  q.close();

  const p = new Process({ target: (x: number) => x * 2, args: [21] });
  p.start();
  await p.join(10_000);
  expect(p.exitcode).toBe(0);

  const system = await createSystem({ hosts: 1, logger: pino({ level: 'silent' }) });
  try {
    const sup = await system.supervise({ strategy: 'one_for_one', intensity: 3, period: 5000, children: [{ id: 'w', start: Worker, args: ['w'], name: 'fuzz-w' }] });
    const restarted = waitForRestart(sup, 'w', { timeout: 10_000 });
    system.get('fuzz-w')!.send({ type: 'boom' });
    const ref = await restarted;
    expect(system.get('fuzz-w')?.id).toBe(ref.id);
  } finally {
    await system.shutdown();
  }
}
