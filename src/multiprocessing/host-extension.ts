/**
 * The multiprocessing extension, worker side (imported by every worker before it takes work, see
 * src/hosts/worker-main.ts): it loads the facade and shared_memory, so every handle (queues, pipe
 * ends, locks, shared values, shared memory, proxies) revives here even if the target never
 * imports troupe/multiprocessing; it runs a Process target when main gives this host one
 * (runner.ts); it delivers messages sent to that process to its mailbox; and it makes
 * `process.exit(n)` end only the calling process (exclusive host) or actor (shared host), never
 * the pool.
 */
import './index.js';
import './shared_memory.js';
import { defineHostExtension, type HostView } from '../extension.js';
import { currentHost } from '../hosts/current.js';
import { exitCodeOf, SystemExit } from './exit.js';
import { identity, runningProcess } from './identity.js';
import { INFO, mpLog } from './logging.js';
import { EXTENSION, type FromProcessHost, type RunPayload, type ToProcessHost } from './process-protocol.js';
import { runProcess } from './runner.js';

defineHostExtension(EXTENSION, {
  run: (payload) => runProcess(payload as RunPayload),
  message: (message) => {
    const msg = message as ToProcessHost;
    if (msg.type === 'parentExited') identity().parentExitcode = msg.code;
  },
});

const PATCHED = Symbol.for('troupe.processExitPatched');

/**
 * process.exit(n) inside a worker: in a Process, n is its exit code and nothing after the call
 * runs (the thread is parked until main ends it); elsewhere (an actor, a pool task) it throws
 * SystemExit, which ends only the caller.
 */
function patchExit(): void {
  const slots = globalThis as unknown as Record<symbol, boolean | undefined>;
  if (slots[PATCHED]) return;
  slots[PATCHED] = true;
  const realExit = process.exit.bind(process);
  process.exit = ((code?: number | string | null) => {
    const host = currentHost();
    const exitcode = typeof code === 'number' ? code : code ? Number(code) || 1 : exitCodeOf((process.exitCode as number | undefined) ?? 0);
    if (!host) return realExit(exitcode);
    const info = runningProcess();
    if (host.task === EXTENSION && info && info.id !== undefined && !info.id.startsWith('pool:')) {
      mpLog(INFO, 'process shutting down', info.name);
      mpLog(INFO, `process exiting with exitcode ${exitcode}`, info.name);
      host.postExtension(EXTENSION, { type: 'exit', code: exitcode } satisfies FromProcessHost);
      // Nothing after process.exit may run: park the thread until main terminates this worker.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
    }
    throw new SystemExit(exitcode);
  }) as typeof process.exit;
}
patchExit();

export type { HostView };
