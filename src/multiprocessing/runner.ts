/**
 * Runs one Process target inside its worker, as CPython's `BaseProcess._bootstrap` does: logs
 * `child process calling self.run()`, calls the target (or a subclass's run() on an instance made
 * from the fields it was started with), waits for the ref'd work it left, terminates its daemon
 * children and joins the others, flushes stdio, logs `process shutting down` and `process exiting
 * with exitcode N`, and returns the exit code: 0 returned, n from exit(n), 1 for an uncaught error
 * (printed as `Process <name>:` plus the stack, like Python's traceback).
 */
import { RuntimeError } from '../errors.js';
import { currentHost } from '../hosts/current.js';
import { load } from '../hosts/load.js';
import { activeChildren } from './current.js';
import { exitCodeOf, isSystemExit } from './exit.js';
import { becomeProcess } from './identity.js';
import { Leftovers } from './leftovers.js';
import { Process } from './process.js';
import { adoptLogConfig, DEBUG, INFO, mpLog } from './logging.js';
import type { RunPayload } from './process-protocol.js';

/** The result a worker reports: its exit code, and whether the worker can run another process. */
export interface RunResult {
  code: number;
  /** something the target left could not be dropped: do not reuse this worker */
  retire?: true;
}

const leftovers = new Leftovers();

export async function runProcess(payload: RunPayload): Promise<RunResult> {
  const info = payload.process;
  adoptLogConfig(info.logConfig);
  becomeProcess(info);
  mpLog(INFO, 'child process calling self.run()', info.name);
  let code: number;
  leftovers.start();
  try {
    // loaded once per worker (the host caches it), as a task's module is imported once
    const host = currentHost();
    const target = (await (host ? host.loadFunction(payload.loc) : load(payload.loc))) as (...args: unknown[]) => unknown;
    if (typeof target !== 'function') throw new RuntimeError(`the Process target loaded in the worker is not a function (${typeof target})`);
    if (payload.subclass) {
      // the instance, rebuilt: a view of this process with the subclass's prototype and own fields
      const self = Process.view(info.name, info.pid, info.daemon, info.id, { prototype: (target as { prototype: object }).prototype });
      const { daemon: _daemon, ...own } = payload.args[0] as Record<string, unknown>;
      Object.assign(self, own);
      await self.run();
    } else {
      await target(...payload.args);
    }
    await leftovers.settled();
    code = 0;
  } catch (error) {
    code = isSystemExit(error) ? exitOf(error.code) : uncaught(info.name, error);
  }
  const clean = leftovers.finish();
  await endChildren();
  mpLog(INFO, 'process shutting down', info.name);
  mpLog(DEBUG, 'running all "atexit" finalizers with priority >= 0', info.name);
  await flushStdio();
  mpLog(INFO, `process exiting with exitcode ${code}`, info.name);
  becomeProcess(undefined);
  return clean ? { code } : { code, retire: true };
}

/** Python's _exit_function: daemon children are terminated, the others joined. */
async function endChildren(): Promise<void> {
  const children = activeChildren();
  for (const child of children) {
    if (!child.daemon) continue;
    mpLog(INFO, `calling terminate() for daemon ${child.name}`);
    child.terminate();
  }
  for (const child of activeChildren()) {
    mpLog(INFO, `calling join() for process ${child.name}`);
    await child.join();
  }
}

function exitOf(code: unknown): number {
  if (code !== null && code !== undefined && typeof code !== 'number' && typeof code !== 'boolean') {
    process.stderr.write(`${String(code)}\n`);
  }
  return exitCodeOf(code);
}

/** Python prints `Process <name>:` and the traceback; we print the stack. */
function uncaught(name: string, error: unknown): number {
  const text = error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : String(error);
  process.stderr.write(`Process ${name}:\n${text}\n`);
  return 1;
}

function flushStdio(): Promise<void> | void {
  if (process.stdout.writableLength === 0 && process.stderr.writableLength === 0) return;
  return Promise.all(
    [process.stdout, process.stderr].map((stream) => new Promise<void>((resolve) => (stream.writableLength > 0 ? stream.write('', () => resolve()) : resolve()))),
  ).then(() => {});
}
