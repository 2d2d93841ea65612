/**
 * The soak's output: a progress line while it runs (rewritten in place on a TTY, otherwise one
 * line every few seconds) and the final tables, in Markdown so they can be pasted into the README.
 */
import os from 'node:os';
import { FAULT_KINDS, passed, type SoakReport } from './report.js';

const pad = (s: string, n: number): string => s.padEnd(n);
const num = (n: number): string => n.toLocaleString('en-US');

export class Progress {
  #lastPrinted = 0;
  #onTty = Boolean(process.stderr.isTTY);

  update(elapsedMs: number, ops: number, faults: number, failures: number, seconds: number): void {
    const line = `soak ${(elapsedMs / 1000).toFixed(0)}/${seconds} s: ${num(ops)} operations, ${num(faults)} faults injected, ${failures} failures`;
    if (this.#onTty) process.stderr.write(`\r${line}\x1b[K`);
    else if (elapsedMs - this.#lastPrinted >= 5000) {
      this.#lastPrinted = elapsedMs;
      process.stderr.write(`${line}\n`);
    }
  }

  done(): void {
    if (this.#onTty) process.stderr.write('\n');
  }
}

export function formatReport(report: SoakReport): string {
  const lines: string[] = [];
  lines.push(`troupe soak: seed ${report.seed}, ${report.seconds} s (ran ${(report.elapsedMs / 1000).toFixed(1)} s), Node ${process.version}, ${os.availableParallelism()} cores, ${os.platform()}`);
  lines.push('');
  lines.push(`| ${pad('operation', 22)} | ${pad('settled ok', 11)} | ${pad('expected error', 14)} | ${pad('slowest ms', 10)} |`);
  lines.push(`|${'-'.repeat(24)}|${'-'.repeat(13)}|${'-'.repeat(16)}|${'-'.repeat(12)}|`);
  for (const [kind, f] of Object.entries(report.ops)) {
    lines.push(`| ${pad(kind, 22)} | ${pad(num(f.ok), 11)} | ${pad(num(f.expectedError), 14)} | ${pad(f.maxMs ? f.maxMs.toFixed(0) : '-', 10)} |`);
  }
  lines.push('');
  lines.push(`| ${pad('fault injected', 22)} | ${pad('count', 11)} |`);
  lines.push(`|${'-'.repeat(24)}|${'-'.repeat(13)}|`);
  for (const kind of FAULT_KINDS) lines.push(`| ${pad(kind, 22)} | ${pad(num(report.faults[kind]), 11)} |`);
  lines.push('');
  const rows: Array<[string, string]> = [
    ['lost', num(report.lost)],
    ['duplicated', num(report.duplicated)],
    ['hung', num(report.hung)],
    ['mutual exclusion violated', num(report.violations)],
    ['wrong value or error', num(report.wrong)],
    ['log lines (not JSON)', `${num(report.logLines)} (${report.brokenLogLines})`],
    ['tree back to full strength', report.treeFull ? 'yes' : 'NO'],
    ['slowest settle (a wait, not a process lifetime)', `${report.slowest.ms.toFixed(0)} ms (${report.slowest.kind})`],
    ['queue items in hand of killed consumers', num(report.inHandOfKilled)],
  ];
  lines.push(`| ${pad('check', 48)} | ${pad('result', 28)} |`);
  lines.push(`|${'-'.repeat(50)}|${'-'.repeat(30)}|`);
  for (const [k, v] of rows) lines.push(`| ${pad(k, 48)} | ${pad(v, 28)} |`);
  lines.push('');
  if (report.failures.length) {
    lines.push('failures (first ones):');
    for (const f of report.failures) lines.push(`  - ${f}`);
    lines.push('');
  }
  lines.push(passed(report) ? 'PASS' : `FAIL — replay with: npm run soak -- --seconds ${report.seconds} --seed ${report.seed}`);
  return lines.join('\n');
}
