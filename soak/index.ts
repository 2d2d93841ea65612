/**
 * `npm run soak -- --seconds 60 --seed N`: troupe beaten on while everything is in use. Runs the
 * soak runner (run.ts) as a child process, checks that every line the runtime logged on its
 * stdout is whole JSON, shows progress, prints the tables and exits non-zero (printing the seed)
 * on any loss, duplicate, hang, violation or wrong result. Bounded: the runner is killed if it
 * outlives its time by far.
 */
import { fork } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseOptions, toArgv } from './options.js';
import { passed, type RunnerMessage, type SoakReport } from './report.js';
import { formatReport, Progress } from './table.js';

const options = parseOptions(process.argv.slice(2));
process.stderr.write(`soak: ${options.seconds} s, seed ${options.seed}\n`);
const child = fork(fileURLToPath(new URL('./run.ts', import.meta.url)), toArgv(options), {
  execArgv: process.execArgv,
  stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
});

// the runtime's log lines are kept in a file, to explain a failure
const logPath = join(tmpdir(), `troupe-soak-${options.seed}.log`);
const logFile = createWriteStream(logPath);
let logLines = 0;
let brokenLogLines = 0;
const brokenSamples: string[] = [];
createInterface({ input: child.stdout! }).on('line', (line) => {
  logLines++;
  logFile.write(`${line}\n`);
  try {
    JSON.parse(line);
  } catch {
    brokenLogLines++;
    if (brokenSamples.length < 5) brokenSamples.push(line.slice(0, 200));
  }
});
// the runner's stderr: Python-style tracebacks of processes that failed (`Process name:` and the
// stack), kept to explain a failure; the last lines, in case the runner itself dies
const errPath = join(tmpdir(), `troupe-soak-${options.seed}.stderr`);
const errFile = createWriteStream(errPath);
const stderrTail: string[] = [];
const tracebacks: string[][] = [];
let traceback: string[] | undefined;
createInterface({ input: child.stderr! }).on('line', (line) => {
  errFile.write(`${line}\n`);
  stderrTail.push(line);
  if (stderrTail.length > 40) stderrTail.shift();
  if (/^Process [^ ]+:$/.test(line)) {
    traceback = tracebacks.length < 5 ? [line] : undefined;
    if (traceback) tracebacks.push(traceback);
  } else if (traceback && traceback.length < 8) traceback.push(line);
  else traceback = undefined;
});

const progress = new Progress();
let report: SoakReport | undefined;
child.on('message', (message: RunnerMessage) => {
  if (message.type === 'progress') progress.update(message.elapsedMs, message.ops, message.faults, message.failures, options.seconds);
  else report = message.report;
});

// the runner's own bound: its time, the hang bound, the tree check and shutdown, with room to spare
const limitMs = options.seconds * 1000 + options.hungMs + 90_000;
const limit = setTimeout(() => child.kill('SIGKILL'), limitMs);
const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('close', (c, s) => resolve([c, s])));
clearTimeout(limit);
progress.done();
await Promise.all([new Promise((resolve) => logFile.end(resolve)), new Promise((resolve) => errFile.end(resolve))]);

if (!report) {
  process.stderr.write(`soak: the runner ended (code ${code}, signal ${signal}) without a report${signal === 'SIGKILL' ? ` after ${limitMs} ms` : ''}; its last stderr lines:\n${stderrTail.join('\n')}\n`);
  process.stderr.write(`replay with: npm run soak -- --seconds ${options.seconds} --seed ${options.seed}\n`);
  process.exitCode = 2;
} else {
  report.logLines = logLines;
  report.brokenLogLines = brokenLogLines;
  for (const sample of brokenSamples) report.failures.push(`log line not JSON: ${sample}`);
  if (report.wrong > 0) for (const lines of tracebacks) report.failures.push(`stderr: ${lines.join("\n      ")}`);
  if (code !== 0) report.failures.push(`the runner exited with code ${code} (signal ${signal})`);
  console.log(formatReport(report));
  if (!passed(report)) console.log(`the runtime's log lines: ${logPath}; the processes' stderr: ${errPath}`);
  if (options.json) console.log(JSON.stringify(report));
  process.exitCode = passed(report) && code === 0 ? 0 : 1;
}
