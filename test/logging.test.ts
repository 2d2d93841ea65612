import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { defaultSystem } from 'troupe';
import {
  CRITICAL,
  DEBUG,
  ERROR,
  getLogger,
  INFO,
  logToStderr,
  SUBDEBUG,
  SUBWARNING,
  ValueError,
  WARNING,
} from 'troupe/multiprocessing';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Runs a fixture script in a fresh node process (workers and all) and collects its output. */
function runScript(script: string, ...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', `test/fixtures/${script}`, ...args],
      { cwd: root, timeout: 60_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('multiprocessing logging', () => {
  afterEach(() => {
    getLogger().setLevel(0);
  });
  afterAll(async () => {
    await defaultSystem().shutdown();
  });

  it('exports Python\'s level numbers', () => {
    expect([SUBDEBUG, DEBUG, INFO, SUBWARNING, WARNING, ERROR, CRITICAL]).toEqual([5, 10, 20, 25, 30, 40, 50]);
  });

  it('is one logger whose effective level is WARNING until setLevel', () => {
    const logger = getLogger();
    expect(logger.getEffectiveLevel()).toBe(WARNING);
    logger.setLevel(DEBUG);
    expect(getLogger().getEffectiveLevel()).toBe(DEBUG);
    logger.setLevel(0);
    expect(logger.getEffectiveLevel()).toBe(WARNING);
    expect(typeof logToStderr).toBe('function');
  });

  it('rejects a level that is not a number with ValueError', () => {
    expect(() => getLogger().setLevel(-1)).toThrow(ValueError);
    expect(() => getLogger().log('loud' as unknown as number, 'x')).toThrow(/level number/);
  });

  it('prints [LEVEL/ProcessName] lines at the level set, from main and from workers', { timeout: 60_000 }, async () => {
    const { code, stdout, stderr } = await runScript('log-levels.ts', 'stderr');
    expect(code).toBe(0);
    const lines = stderr.trimEnd().split('\n');
    expect(lines.slice(0, 3)).toEqual([
      '[WARNING/MainProcess] Error has occurred',
      '[INFO/MainProcess] main info answer=42',
      '[SUBWARNING/MainProcess] main subwarning',
    ]);
    // a worker inherits main's INFO; one that called logToStderr(DEBUG) itself prints its debug too
    const worker = (label: string) => lines.filter((l) => l.includes(`] ${label} `)).map((l) => l.replace(/PoolWorker-\d+/, 'PoolWorker-N'));
    expect(worker('inherits')).toEqual(['[INFO/PoolWorker-N] inherits info', '[WARNING/PoolWorker-N] inherits warning 42']);
    expect(worker('own-level')).toEqual([
      '[DEBUG/PoolWorker-N] own-level debug',
      '[INFO/PoolWorker-N] own-level info',
      '[WARNING/PoolWorker-N] own-level warning 42',
    ]);
    expect(stdout).toContain('worker levels 20 10');
  });

  it('logs pino JSON without logToStderr, at WARNING and above', { timeout: 60_000 }, async () => {
    const { code, stdout, stderr } = await runScript('log-levels.ts', 'json');
    expect(code).toBe(0);
    const records = stdout
      .split('\n')
      .filter((line) => line.startsWith('{') && line.includes('"levelName"'))
      .map((line) => JSON.parse(line) as { process: string; levelName: string; msg: string });
    expect(records.map((r) => [r.levelName, r.process.replace(/\d+$/, 'N'), r.msg])).toEqual([
      ['WARNING', 'MainProcess', 'Error has occurred'],
      ['SUBWARNING', 'MainProcess', 'main subwarning'],
      ['WARNING', 'PoolWorker-N', 'inherits warning 42'],
    ]);
    // the worker that called logToStderr itself still prints to stderr
    expect(stderr).toContain('own-level warning 42');
  });

  it('writes 4 workers x 200 records of 1 KiB as 800 whole lines, none lost, none interleaved', { timeout: 60_000 }, async () => {
    const { code, stderr } = await runScript('log-stress.ts');
    expect(code).toBe(0);
    const lines = stderr.split('\n').filter((line) => / writer-\d \d+ /.test(line));
    expect(lines).toHaveLength(800);
    const next = new Map<string, number>();
    const names = new Map<string, string>();
    for (const line of lines) {
      const match = /^\[INFO\/(PoolWorker-\d+)\] (writer-[1-4]) (\d+) (x+)$/.exec(line);
      expect(match, `fragment: ${line.slice(0, 80)}`).not.toBeNull();
      const [, name, writer, index, pad] = match!;
      expect(`${writer} ${index} `.length + pad!.length).toBe(1024);
      // each writer's records arrive whole, under its worker's name, in the order it logged them
      expect(names.get(writer!) ?? name).toBe(name);
      names.set(writer!, name!);
      expect(Number(index)).toBe(next.get(writer!) ?? 0);
      next.set(writer!, Number(index) + 1);
    }
    expect([...next.values()]).toEqual([200, 200, 200, 200]);
    expect(new Set(names.values()).size).toBe(4);
    expect(stderr).toContain('[INFO/MainProcess] writers done\n');
  });

  it('writes the records a process logged right before it ended', { timeout: 60_000 }, async () => {
    const { code, stderr } = await runScript('log-exit.ts');
    expect(code).toBe(0);
    for (const name of ['Writer-1', 'Writer-2', 'Writer-3', 'Writer-4']) {
      const records = stderr.split('\n').filter((line) => line.startsWith(`[WARNING/${name}] ${name} record `));
      expect(records, name).toHaveLength(50);
    }
  });
});
