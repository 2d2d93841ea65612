import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { Event, Pipe, Process, Queue, RuntimeError } from 'troupe/multiprocessing';
import { mainSystem } from '../src/default-system.js';
import { checkNoLeftover, parentOfOrphan, refdTimer, unrefdTimer, UpperCaser } from './fixtures/fidelity-targets.js';
import { cube, sleepForever } from './fixtures/process-targets.js';

afterAll(() => mainSystem().shutdown());

const script = (name: string) => fileURLToPath(new URL(`./fixtures/scripts/${name}`, import.meta.url));

describe('Process fidelity (DESIGN §4.1)', () => {
  it("terminating a parent orphans its non-daemon children: they run on, and see their parent dead", async () => {
    const report = new Queue<Record<string, unknown>>();
    const release = new Event();
    const parent = new Process({ target: parentOfOrphan, args: [report, release] });
    parent.start();
    const { child } = (await report.get({ timeout: 10_000 })) as { child: number };
    expect(child).toBeGreaterThan(0);
    parent.terminate();
    await parent.join();
    expect(parent.exitcode).toBe(-15);
    release.set();
    expect(await report.get({ timeout: 10_000 })).toEqual({ orphan: `${parent.name}:1`, parentAlive: false });
  }, 30_000);

  it("ends when its target has settled and the ref'd work it started is done", async () => {
    const fired = new Event();
    const p = new Process({ target: refdTimer, args: [300, fired] });
    p.start();
    await p.join(100);
    expect(p.exitcode).toBeNull();
    await p.join();
    expect(fired.isSet()).toBe(true);
    expect(p.exitcode).toBe(0);
  }, 20_000);

  it("drops unref'd work at its end: none of it runs while its worker serves the next Process", async () => {
    const leaked = new Int32Array(new SharedArrayBuffer(4));
    const first = new Process({ target: unrefdTimer, args: [leaked] });
    first.start();
    await first.join();
    expect(first.exitcode).toBe(0);
    const [reader, writer] = Pipe<number>(false);
    const next = new Process({ target: checkNoLeftover, args: [leaked, writer] });
    next.start();
    writer.close();
    expect(await reader.recv()).toBe(0);
    await next.join();
    expect(Atomics.load(leaked, 0)).toBe(0);
  }, 20_000);

  it('daemon may be set before start(); assigning it after start() throws RuntimeError', async () => {
    const p = new Process({ target: sleepForever });
    p.daemon = true;
    expect(p.daemon).toBe(true);
    p.start();
    expect(() => {
      p.daemon = false;
    }).toThrow(RuntimeError);
    expect(p.daemon).toBe(true);
    p.kill();
    await p.join();
  }, 20_000);

  it('a Process subclass exported as it is runs run() with its own fields, handles included', async () => {
    const out = new Queue<string>();
    const p = new UpperCaser('hello', out);
    p.start();
    await p.join();
    expect(p.exitcode).toBe(0);
    expect(await out.get({ timeout: 5000 })).toBe(`HELLO from ${p.name}`);
  }, 20_000);

  it('a script started with flags worker_threads refuses (--max-old-space-size, --expose-gc) still gets workers', () => {
    const result = spawnSync(process.execPath, ['--max-old-space-size=4096', '--expose-gc', '--import', 'tsx', script('flags.ts')], { encoding: 'utf8', timeout: 60_000 });
    expect(result.stderr).not.toContain('ERR_WORKER_INVALID_EXEC_ARGV');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('exitcode 0 counter 42 squares 1,4,9');
  }, 70_000);

  it("logs Python's exit records in the main process: shutting down, terminate() for daemons", () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', script('exit-records.ts')], { encoding: 'utf8', timeout: 60_000 });
    expect(result.status).toBe(0);
    const lines = result.stderr.split('\n');
    const at = (line: string) => lines.indexOf(line);
    expect(at('[INFO/MainProcess] process shutting down')).toBeGreaterThanOrEqual(0);
    expect(at('[INFO/MainProcess] calling terminate() for daemon Sleeper')).toBeGreaterThan(at('[INFO/MainProcess] process shutting down'));
    expect(at('[INFO/Cuber] process exiting with exitcode 0')).toBeGreaterThanOrEqual(0);
  }, 70_000);

  it('start() checks that its arguments can travel (a function fails at once, as pickling does)', () => {
    const p = new Process({ target: cube, args: [() => 1] });
    expect(() => p.start()).toThrow(/cannot be sent between threads/);
    expect(p.pid).toBeNull();
  });
});
