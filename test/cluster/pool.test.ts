import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BrokenWorkerError, type System } from '../../src/index.js';
import { Pool } from '../../src/multiprocessing/index.js';
import { hangOn, squareWhere } from '../fixtures/cluster/tasks.js';
import { clusterPerFile, MUST_RUN, NatsServer, NO_NATS, NodeProcess, nextEvent, seen } from './harness.js';

if (NO_NATS && MUST_RUN) it('runs the cluster tests (CI=true)', () => expect.fail(NO_NATS));

describe.skipIf(NO_NATS !== undefined)(`Pool across nodes${NO_NATS ? ` (skipped: ${NO_NATS})` : ''}`, () => {
  let server: NatsServer;
  let system: System;

  clusterPerFile('pool', undefined, (cluster) => ({ server, system } = cluster));

  it('runs tasks on the pool workers of every node', async () => {
    await NodeProcess.start({ url: server.url, cluster: 'pool', node: 'b' });
    await seen(system, 'b');
    const pool = new Pool(4, { cluster: true });
    const results = await pool.map(squareWhere, Array.from({ length: 40 }, (_, i) => i));
    expect(results.map(([square]) => square)).toEqual(Array.from({ length: 40 }, (_, i) => i * i));
    expect(new Set(results.map(([, node]) => node))).toEqual(new Set(['main', 'b']));
    pool.terminate();
    await pool.join();
    // a node process and pool workers on both nodes boot here: slow on a loaded 2-core machine
  }, 60_000);

  it("rejects the task a dead node was running with BrokenWorkerError and runs the rest elsewhere", async () => {
    const doomed = await NodeProcess.start({ url: server.url, cluster: 'pool', node: 'doomed-pool' });
    await seen(system, 'doomed-pool');
    const dir = mkdtempSync(join(tmpdir(), 'troupe-pool-'));
    const pool = new Pool(4, { cluster: true });
    const results = Array.from({ length: 12 }, () => pool.applyAsync(hangOn, [{ doomed: 'doomed-pool', dir }]));
    await expect.poll(() => readdirSync(dir).length, { timeout: 15_000 }).toBeGreaterThan(0);
    const down = nextEvent(system, 'nodedown', 'doomed-pool');
    await doomed.kill();
    await down;
    // the doomed node's tasks are rejected; the rest finish elsewhere (a re-run takes a while on a
    // loaded machine: the bound only says nothing hangs)
    const settled = await Promise.all(results.map((result) => result.get(15_000).then((node) => ({ node }), (error: unknown) => ({ error }))));
    const broken = settled.filter((s) => 'error' in s);
    expect(broken.length).toBeGreaterThan(0);
    for (const s of broken) expect((s as { error: unknown }).error).toBeInstanceOf(BrokenWorkerError);
    expect(settled.filter((s) => 'node' in s).every((s) => (s as { node: string }).node !== 'doomed-pool')).toBe(true);
    pool.terminate();
    await pool.join();
    rmSync(dir, { recursive: true, force: true });
  }, 40_000);
});
