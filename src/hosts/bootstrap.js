// Worker entry for tinypool (plain JS so it loads without a TypeScript loader). It registers tsx
// when the host runtime or a user module is TypeScript, then hands each task to the host runtime.
import { workerData } from 'node:worker_threads';

const state = globalThis;
const TSX = Symbol.for('troupe.ensureTsx');

let tsx;
/** Registers tsx's ESM hooks in this worker once; rejects with a clear message if tsx is missing. */
function ensureTsx() {
  tsx ??= import('tsx/esm/api').then(
    ({ register }) => {
      register();
    },
    (error) => {
      tsx = undefined;
      throw new Error('loading a TypeScript module in a worker needs tsx: npm install --save-dev tsx', { cause: error });
    },
  );
  return tsx;
}
state[TSX] = ensureTsx;

let host;
export default async function runTask(task) {
  if (!host) {
    const { hostModule } = process.__tinypool_state__?.workerData ?? workerData;
    if (hostModule.endsWith('.ts')) await ensureTsx();
    host = await import(hostModule);
  }
  return host.runHost(task);
}

// A daemon Process's worker is started directly (not by tinypool) with its task in workerData.
if (workerData?.detached) void runTask(workerData.detached);
