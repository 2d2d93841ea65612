/**
 * The worker's composition root (the tinypool task entry, see bootstrap.js): creates the host
 * runtime, makes it this thread's host, then imports the host-side extension modules the task
 * names (from this copy of troupe), and only then takes work. The kernel itself imports no
 * extension: what a worker can do beyond running actors comes from these modules.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { currentHost, setCurrentHost } from './current.js';
import { HostRuntime } from './host-runtime.js';
import { importModule } from './load.js';
import type { HostTask } from './protocol.js';

/** The package root of this copy: `<root>/src/hosts/` or `<root>/dist/src/hosts/` from here. */
const ROOT = new URL('../../', import.meta.url);

/** An extension module by its path from the package root (`.js`, or the `.ts` source under tsx). */
function extensionUrl(path: string): string {
  const url = new URL(path, ROOT);
  if (existsSync(fileURLToPath(url))) return url.href;
  const source = new URL(path.replace(/\.js$/, '.ts'), ROOT);
  return existsSync(fileURLToPath(source)) ? source.href : url.href;
}

const loaded = new Set<string>();

// An uncaught exception ends this worker (Node's rule): main hears why before the thread goes.
process.on('uncaughtExceptionMonitor', (error) => currentHost()?.fatal(error));

export async function runHost(task: HostTask): Promise<unknown> {
  const host = new HostRuntime(task);
  setCurrentHost(host);
  try {
    for (const path of task.extensions) {
      if (loaded.has(path)) continue;
      loaded.add(path);
      await importModule(extensionUrl(path));
    }
    return await host.start();
  } finally {
    setCurrentHost(undefined);
  }
}
