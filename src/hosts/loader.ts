/**
 * What a host loads from user modules: actor definitions (an exported definition or xstate machine)
 * and functions (Pool batches, tasks), each once per host. Module loading blocks the thread (Node
 * 20 waits for its loader-hooks thread), so the heartbeat stops meanwhile: the loader tells the
 * watchdog the host is loading, not stuck.
 */
import { fromMachine, isDefinition, type Definition, type Locator } from '../define.js';
import { RuntimeError } from '../errors.js';
import { load } from './load.js';

/** watch word 1: how many module loads are under way */
const LOADING_SLOT = 1;

function keyOf(locator: Locator): string {
  return locator.by === 'export' ? `${locator.module}#${locator.exportName}` : locator.source;
}

export class Loader {
  private readonly definitions = new Map<string, Promise<Definition>>();
  private readonly functions = new Map<string, Promise<unknown>>();

  constructor(private readonly beats: Int32Array | undefined) {}

  definition(locator: Locator): Promise<Definition> {
    return this.once(this.definitions, locator, () => definitionFrom(locator));
  }

  function(locator: Locator): Promise<unknown> {
    return this.once(this.functions, locator, () => load(locator));
  }

  private once<T>(cache: Map<string, Promise<T>>, locator: Locator, make: () => Promise<T>): Promise<T> {
    const key = keyOf(locator);
    let loading = cache.get(key);
    if (!loading) {
      cache.set(key, (loading = this.whileLoading(make)));
      loading.catch(() => cache.delete(key));
    }
    return loading;
  }

  private whileLoading<T>(work: () => Promise<T>): Promise<T> {
    const beats = this.beats;
    if (!beats) return work();
    Atomics.add(beats, LOADING_SLOT, 1);
    return work().finally(() => Atomics.sub(beats, LOADING_SLOT, 1));
  }
}

async function definitionFrom(locator: Locator): Promise<Definition> {
  const loaded = await load(locator);
  if (isDefinition(loaded)) return loaded;
  if (typeof loaded === 'object' && loaded !== null && typeof (loaded as { transition?: unknown }).transition === 'function') {
    return fromMachine(loaded as never) as Definition;
  }
  throw new RuntimeError(`the export loaded from ${keyOf(locator)} is not an actor definition`);
}
