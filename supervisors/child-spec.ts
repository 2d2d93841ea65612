/**
 * Validation of supervisor flags and child specs (OTP's check_flags / check_childspec). Bad input
 * is rejected before anything starts, with a SupervisorError whose code is `supervisor_data` (flags)
 * or `bad_start_spec` (a child) and whose message names the offending field. Unknown keys are
 * ignored, as in OTP. The result is a normalised spec with every default filled in.
 */
import { describe } from '../src/describe.js';
import { isDefinition } from '../src/define.js';
import { SupervisorError } from '../src/errors.js';
import type {
  ActorDefinition,
  ChildSpec,
  Placement,
  RestartType,
  ShutdownSpec,
  Strategy,
  SupervisorSpec,
} from '../src/types.js';

/** What a child is started from. */
export type ChildKind = 'actor' | 'supervisor' | 'function';

export type AutoShutdown = 'never' | 'any_significant' | 'all_significant';

export interface Backoff {
  min: number;
  max: number;
  jitter: number;
}

/** A child spec with every default filled in. */
export interface NormalChildSpec {
  id: string;
  kind: ChildKind;
  start: ActorDefinition | ((...args: any[]) => unknown) | NormalSupervisorSpec;
  args: readonly unknown[];
  restart: RestartType;
  shutdown: ShutdownSpec;
  type: 'worker' | 'supervisor';
  significant: boolean;
  restartFrom: 'init' | 'snapshot';
  name: string | undefined;
  placement: Placement | undefined;
  /** §10: the node it runs on (a name, or 'any': a live node, chosen again at each restart) */
  node: string | undefined;
  backoff: Backoff | undefined;
}

/** Supervisor flags with defaults (OTP: one_for_one, intensity 1, period 5 s, auto_shutdown never). */
export interface NormalSupervisorSpec {
  /** its label in logs and events (the registered name, or a default) */
  name: string;
  /** the registered name (system.get), when the spec gives one */
  registered: string | undefined;
  strategy: Strategy;
  intensity: number;
  period: number;
  autoShutdown: AutoShutdown;
  children: NormalChildSpec[];
}

const STRATEGIES: readonly Strategy[] = ['one_for_one', 'one_for_all', 'rest_for_one', 'simple_one_for_one'];
const RESTARTS: readonly RestartType[] = ['permanent', 'transient', 'temporary'];
const AUTO_SHUTDOWNS: readonly AutoShutdown[] = ['never', 'any_significant', 'all_significant'];
const PLACEMENTS: readonly Placement[] = ['shared', 'exclusive', 'main'];
const WORKER_SHUTDOWN_MS = 5000;

function show(value: unknown): string {
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`;
  if (typeof value === 'string') return JSON.stringify(value);
  try {
    return JSON.stringify(value) ?? describe(value);
  } catch {
    return describe(value);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Does `value` look like a nested supervisor spec (rather than an actor definition)? */
export function isSupervisorSpec(value: unknown): value is SupervisorSpec {
  return isObject(value) && !isDefinition(value) && Array.isArray(value.children);
}

/** Checks supervisor flags and every child spec (recursively); throws SupervisorError. */
export function checkSupervisorSpec(spec: unknown, defaultName = 'supervisor', path = ''): NormalSupervisorSpec {
  const flags = (field: string, message: string): SupervisorError =>
    new SupervisorError('supervisor_data', `${path}bad supervisor flags: ${field} ${message}`);
  if (!isObject(spec)) throw flags('spec', `must be an object { strategy, intensity?, period?, autoShutdown?, children } (got ${show(spec)})`);
  const name = spec.name ?? defaultName;
  if (typeof name !== 'string' || name === '') throw flags('name', `must be a non-empty string (got ${show(spec.name)})`);
  const strategy = (spec.strategy ?? 'one_for_one') as Strategy;
  if (!STRATEGIES.includes(strategy)) throw flags('strategy', `must be one of ${STRATEGIES.join(', ')} (got ${show(spec.strategy)})`);
  const intensity = spec.intensity ?? 1;
  if (typeof intensity !== 'number' || !Number.isInteger(intensity) || intensity < 0) {
    throw flags('intensity', `must be a non-negative integer: the restarts allowed within period (got ${show(spec.intensity)})`);
  }
  const period = spec.period ?? 5000;
  if (typeof period !== 'number' || !Number.isInteger(period) || period < 1) {
    throw flags('period', `must be a positive integer number of ms (got ${show(spec.period)})`);
  }
  const autoShutdown = (spec.autoShutdown ?? 'never') as AutoShutdown;
  if (!AUTO_SHUTDOWNS.includes(autoShutdown)) {
    throw flags('autoShutdown', `must be one of ${AUTO_SHUTDOWNS.join(', ')} (got ${show(spec.autoShutdown)})`);
  }
  if (!Array.isArray(spec.children)) throw flags('children', `must be an array of child specs (got ${show(spec.children)})`);
  if (strategy === 'simple_one_for_one' && autoShutdown !== 'never') {
    throw new SupervisorError('bad_combination', `${path}bad supervisor flags: simple_one_for_one supervisors cannot use autoShutdown ${show(autoShutdown)}; use 'never'`);
  }
  const inner = `${path}supervisor "${name}": `;
  const children = spec.children.map((child) => checkChildSpec(child, autoShutdown, inner));
  if (strategy === 'simple_one_for_one' && children.length !== 1) {
    throw new SupervisorError('bad_start_spec', `${inner}simple_one_for_one needs exactly one child spec, the template (got ${children.length})`);
  }
  const seen = new Set<string>();
  for (const child of children) {
    if (seen.has(child.id)) throw new SupervisorError('bad_start_spec', `${inner}duplicate child id "${child.id}"; ids must be unique`);
    seen.add(child.id);
  }
  return { name, registered: typeof spec.name === 'string' ? spec.name : undefined, strategy, intensity, period, autoShutdown, children };
}

/** Checks one child spec and fills in its defaults; throws SupervisorError('bad_start_spec'). */
export function checkChildSpec(spec: unknown, autoShutdown: AutoShutdown, path = ''): NormalChildSpec {
  const label = isObject(spec) && typeof spec.id === 'string' ? `child "${spec.id}"` : 'child spec';
  const bad = (field: string, message: string): SupervisorError =>
    new SupervisorError('bad_start_spec', `${path}bad ${label}: ${field} ${message}`);
  if (!isObject(spec)) throw bad('spec', `must be an object { id, start, ... } (got ${show(spec)})`);
  const { id, start } = spec as Partial<ChildSpec> & Record<string, unknown>;
  if (typeof id !== 'string' || id === '') throw bad('id', `must be a non-empty string (got ${show(id)})`);

  let kind: ChildKind;
  let normalStart: NormalChildSpec['start'];
  if (isDefinition(start)) {
    kind = 'actor';
    normalStart = start;
  } else if (typeof start === 'function') {
    kind = 'function';
    normalStart = start as (...args: any[]) => unknown;
  } else if (isSupervisorSpec(start)) {
    kind = 'supervisor';
    normalStart = checkSupervisorSpec(start, id, `${path}child "${id}" > `);
  } else {
    throw bad('start', `must be an actor definition (defineActor), a function or task(), or a supervisor spec { strategy, children } (got ${show(start)})`);
  }

  const args = spec.args ?? [];
  if (!Array.isArray(args)) throw bad('args', `must be an array of start arguments (got ${show(args)})`);
  const type = spec.type ?? (kind === 'supervisor' ? 'supervisor' : 'worker');
  if (type !== 'worker' && type !== 'supervisor') throw bad('type', `must be 'worker' or 'supervisor' (got ${show(spec.type)})`);
  const restart = (spec.restart ?? 'permanent') as RestartType;
  if (!RESTARTS.includes(restart)) throw bad('restart', `must be one of ${RESTARTS.join(', ')} (got ${show(spec.restart)})`);
  const shutdown = spec.shutdown ?? (type === 'supervisor' ? 'infinity' : WORKER_SHUTDOWN_MS);
  if (shutdown !== 'brutal_kill' && shutdown !== 'infinity' && !(typeof shutdown === 'number' && Number.isInteger(shutdown) && shutdown >= 0)) {
    throw bad('shutdown', `must be a non-negative integer (ms), 'brutal_kill' or 'infinity' (got ${show(spec.shutdown)})`);
  }
  const significant = spec.significant ?? false;
  if (typeof significant !== 'boolean') throw bad('significant', `must be a boolean (got ${show(spec.significant)})`);
  const combination = (message: string): SupervisorError => new SupervisorError('bad_combination', `${path}bad ${label}: significant ${message}`);
  if (significant && restart === 'permanent') {
    throw combination(`cannot be true for a permanent child (it is always restarted); use restart 'transient' or 'temporary'`);
  }
  if (significant && autoShutdown === 'never') {
    throw combination(`cannot be true when the supervisor's autoShutdown is 'never'; set autoShutdown to 'any_significant' or 'all_significant'`);
  }
  const restartFrom = spec.restartFrom ?? 'init';
  if (restartFrom !== 'init' && restartFrom !== 'snapshot') throw bad('restartFrom', `must be 'init' or 'snapshot' (got ${show(spec.restartFrom)})`);
  const name = spec.name;
  if (name !== undefined && (typeof name !== 'string' || name === '')) throw bad('name', `must be a non-empty string (got ${show(name)})`);
  const placement = spec.placement as Placement | undefined;
  if (placement !== undefined && !PLACEMENTS.includes(placement)) {
    throw bad('placement', `must be one of ${PLACEMENTS.join(', ')} (got ${show(spec.placement)})`);
  }
  if (placement !== undefined && kind === 'supervisor') throw bad('placement', `cannot be set for a nested supervisor (supervisors run in the main thread)`);
  const node = spec.node;
  if (node !== undefined && (typeof node !== 'string' || node === '')) throw bad('node', `must be a node name or 'any' (got ${show(node)})`);
  if (node !== undefined && kind !== 'actor') throw bad('node', `can be set only for an actor child (supervisors and function children run on the supervisor's node)`);
  return {
    id,
    kind,
    start: normalStart,
    args,
    restart,
    shutdown,
    type,
    significant,
    restartFrom,
    name,
    placement,
    node,
    backoff: spec.backoff === undefined ? undefined : checkBackoff(spec.backoff, bad),
  };
}

function checkBackoff(value: unknown, bad: (field: string, message: string) => SupervisorError): Backoff {
  if (!isObject(value)) throw bad('backoff', `must be an object { min, max, jitter } (got ${show(value)})`);
  const { min, max, jitter } = value;
  if (typeof min !== 'number' || !Number.isFinite(min) || min < 0) throw bad('backoff.min', `must be a non-negative number of ms (got ${show(min)})`);
  if (typeof max !== 'number' || !Number.isFinite(max) || max < min) throw bad('backoff.max', `must be a number of ms >= backoff.min (got ${show(max)})`);
  const j = jitter ?? 0;
  if (typeof j !== 'number' || !(j >= 0 && j <= 1)) throw bad('backoff.jitter', `must be a fraction between 0 and 1 (got ${show(jitter)})`);
  return { min, max, jitter: j };
}
