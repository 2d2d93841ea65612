import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const script = (name: string) => fileURLToPath(new URL(`./fixtures/scripts/${name}`, import.meta.url));

describe('a script using processes', () => {
  it('exits by itself, forwards target output, and prints a failing target like Python (also an exception outside the target)', () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', script('throwing-process.ts')], { encoding: 'utf8', timeout: 30_000 });
    expect(result.signal).toBeNull();
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('4 cube is 64');
    expect(result.stdout).toContain('exitcodes 1 0 1 1');
    expect(result.stderr).toMatch(/Process Failing:\n(Error: target failed|.*\n)*.*target failed/);
    expect(result.stderr).toContain('process-targets.ts');
    // an exception outside the target (a timer, an unhandled rejection) ends its worker: printed too
    expect(result.stderr).toMatch(/Process ThrowsInTimer:\nTypeError: thrown in a timer\n.*process-targets\.ts/);
    expect(result.stderr).toMatch(/Process LeftUnhandled:\nRangeError: nobody handled this\n/);
  }, 40_000);

  it('exits by itself while a daemon process still runs (daemons end with the main program)', () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', script('daemon-left-running.ts')], { encoding: 'utf8', timeout: 30_000 });
    expect(result.signal).toBeNull();
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('3 cube is 27');
    expect(result.stdout).toContain('worker 0, daemon alive true');
  }, 40_000);

  it('exits at once when its asks were answered, whatever their timeouts (no timer outlives a settled ask)', () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', script('ask-then-exit.ts')], { encoding: 'utf8', timeout: 30_000 });
    expect(result.signal).toBeNull();
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('answers 42 42 42');
    const ms = Number(/exited after (\d+) ms/.exec(result.stdout)?.[1]);
    expect(ms).toBeLessThan(5_000);
  }, 40_000);
});
