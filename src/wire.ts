/**
 * What crosses threads besides messages: exit reasons (errors serialised) and definition locators
 * (module URL + export name, found by identity).
 */
import { findExport, isDefinition, type Definition, type Locator } from './define.js';
import { reviveError, serializeError, ValueError } from './errors.js';
import type { ActorDefinition, ExitReason } from './types.js';

export function serializeReason(reason: ExitReason): unknown {
  return reason.error === undefined ? reason : { ...reason, error: serializeError(reason.error) };
}

export function reviveReason(value: unknown): ExitReason {
  const reason = value as ExitReason;
  return reason.error === undefined ? reason : { ...reason, error: reviveError(reason.error) };
}

/** Where a worker finds `def`: its export in its module (the definition itself or its machine). */
export async function locate(def: ActorDefinition): Promise<Locator> {
  const definition = asDefinition(def);
  try {
    return await findExport(definition, definition.module, `actor definition "${definition.name}"`);
  } catch (error) {
    if (definition.kind === 'machine' && definition.machine) {
      try {
        return await findExport(definition.machine, definition.module, `machine "${definition.name}"`);
      } catch {
        // report the definition's own error below
      }
    }
    throw error;
  }
}

export function asDefinition(def: unknown): Definition {
  if (!isDefinition(def)) {
    throw new ValueError('expected an actor definition made with defineActor() or fromMachine(); got ' + describe(def));
  }
  return def;
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`;
  if (typeof value === 'object') return value.constructor?.name ?? 'object';
  return typeof value;
}
