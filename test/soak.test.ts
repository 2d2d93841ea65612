/**
 * The short soak (soak/): queues, pipes, locks, a Pool and a supervision tree in use at once while
 * a seeded chaos loop terminates and kills processes, makes Pool tasks exit, throw and loop
 * forever, and crashes and kills actors and their hosts. Runs `soak/index.ts` as a child process
 * against the built package (npm test builds first), as `npm run soak` does.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FAULT_KINDS, type SoakReport } from '../soak/report.js';

const root = fileURLToPath(new URL('..', import.meta.url));

function soak(seconds: number, seed: number): Promise<{ code: number; report: SoakReport; output: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'soak/index.ts', '--seconds', String(seconds), '--seed', String(seed), '--json'],
      { cwd: root, timeout: 150_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const last = stdout.trim().split('\n').at(-1) ?? '';
        if (!last.startsWith('{')) return reject(new Error(`the soak printed no report (${error?.message ?? 'no error'}):\n${stdout}\n${stderr}`));
        resolve({ code: error ? Number((error as { code?: unknown }).code) : 0, report: JSON.parse(last) as SoakReport, output: stdout });
      },
    );
  });
}

describe('soak', () => {
  it('loses, duplicates and hangs nothing while every kind of fault is injected (seed 1)', async () => {
    const { code, report, output } = await soak(6, 1);
    expect(report.failures, output).toEqual([]);
    expect(report).toMatchObject({ lost: 0, duplicated: 0, hung: 0, violations: 0, wrong: 0, brokenLogLines: 0, treeFull: true });
    expect(code).toBe(0);
    for (const kind of FAULT_KINDS) expect(report.faults[kind], kind).toBeGreaterThan(0);
    for (const kind of ['queue.item', 'joinable.item', 'pipe.message', 'pool.map', 'pool.apply', 'actor.ask', 'sync.worker.join']) {
      expect(report.ops[kind]?.ok ?? 0, kind).toBeGreaterThan(0);
    }
    expect(report.logLines).toBeGreaterThan(0);
  }, 180_000);
});
