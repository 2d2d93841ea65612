/**
 * Loading user code in a worker: an export of a module (TypeScript through tsx when present) or a
 * self-contained function's source, evaluated in the worker's global scope so it sees no closure.
 */
import { RuntimeError } from '../errors.js';
import { noteExports, type Locator } from '../define.js';

const TSX = Symbol.for('troupe.ensureTsx');

function needsTsx(url: string): boolean {
  return /\.(c|m)?tsx?$/.test(url.replace(/[?#].*$/, ''));
}

export async function importModule(url: string): Promise<Record<string, unknown>> {
  if (needsTsx(url)) {
    const ensure = (globalThis as Record<symbol, (() => Promise<void>) | undefined>)[TSX];
    if (ensure) await ensure();
  }
  const namespace = (await import(url)) as Record<string, unknown>;
  noteExports(url, namespace);
  return namespace;
}

export async function load(locator: Locator): Promise<unknown> {
  if (locator.by === 'source') {
    // Indirect eval: global scope only, which is what "self-contained" promised.
    return (0, eval)(`(${locator.source})`);
  }
  const namespace = await importModule(locator.module);
  if (!(locator.exportName in namespace)) {
    throw new RuntimeError(`${locator.module} has no export "${locator.exportName}" in the worker; is the module the same on both sides?`);
  }
  return namespace[locator.exportName];
}
