/**
 * A supervisor's administration calls (OTP handle_call: start_child, terminate_child,
 * restart_child, delete_child), handled one at a time by the supervisor actor like gen_server
 * calls. Their answers and errors are OTP's: a ref names a child only under simple_one_for_one
 * (elsewhere it is `not_found`), terminating an instance that has already exited is `ok`, and
 * simple_one_for_one refuses the calls that take an id with `simple_one_for_one`.
 */
import { describe } from '../src/describe.js';
import { SupervisorError } from '../src/errors.js';
import type { ActorRef } from '../src/types.js';
import { checkChildSpec, type NormalSupervisorSpec } from './child-spec.js';
import { type Child, type ChildTable, isRef, newChild } from './child-table.js';
import { startFailure } from './children.js';

/** What the admin calls need of a supervisor. */
export interface Administered {
  readonly spec: NormalSupervisorSpec;
  readonly table: ChildTable;
  /** starts a child (an event `started` on success); rejects with its start error */
  startOne(child: Child, event: 'started'): Promise<ActorRef>;
  /** stops a child by its shutdown spec; a pending restart is cancelled */
  stopOne(child: Child): Promise<void>;
  isAlive(id: string): boolean;
}

function isRefArg(value: unknown): value is ActorRef {
  return typeof value === 'object' && value !== null && typeof (value as ActorRef).id === 'string';
}

function notFound(sup: Administered, what: unknown): SupervisorError {
  return new SupervisorError('not_found', `supervisor "${sup.spec.name}" has no child ${isRefArg(what) ? String(what) : typeof what === 'string' ? JSON.stringify(what) : describe(what)}`);
}

async function startOrFail(sup: Administered, child: Child): Promise<ActorRef> {
  try {
    return await sup.startOne(child, 'started');
  } catch (error) {
    throw startFailure(sup.spec.name, child.spec.id, error);
  }
}

/** A static child named by its id (simple_one_for_one has none: `simple_one_for_one`). */
function byId(sup: Administered, id: unknown, call: string): Child {
  if (sup.table.simple) {
    throw new SupervisorError('simple_one_for_one', `supervisor "${sup.spec.name}" is simple_one_for_one: ${call} is not available; use terminateChild(ref)`);
  }
  const child = sup.table.byId(id);
  if (!child) throw notFound(sup, id);
  return child;
}

export async function startChild(sup: Administered, arg: unknown): Promise<{ pid: ActorRef | null }> {
  const { spec, table } = sup;
  if (table.simple) {
    if (!Array.isArray(arg)) {
      throw new SupervisorError('bad_start_spec', `supervisor "${spec.name}" is simple_one_for_one: startChild takes an array of extra args for the template, not ${typeof arg}`);
    }
    const child = newChild(spec.children[0]!, arg);
    const pid = await startOrFail(sup, child);
    table.add(child);
    return { pid };
  }
  const childSpec = checkChildSpec(arg, spec.autoShutdown, `supervisor "${spec.name}": `);
  const existing = table.byId(childSpec.id);
  if (existing) {
    if (isRef(existing.pid)) {
      throw new SupervisorError('already_started', `child "${childSpec.id}" is already running under supervisor "${spec.name}"`, { pid: existing.pid });
    }
    throw new SupervisorError('already_present', `a child spec with id "${childSpec.id}" exists (not running); restartChild("${childSpec.id}") starts it, or deleteChild it first`);
  }
  const child = newChild(childSpec, undefined);
  const pid = await startOrFail(sup, child);
  table.add(child);
  return { pid };
}

export async function terminateChild(sup: Administered, idOrRef: unknown): Promise<void> {
  const { table } = sup;
  if (isRefArg(idOrRef)) {
    // OTP: a pid names a child only under simple_one_for_one
    if (!table.simple) throw notFound(sup, idOrRef);
    const child = table.byPid.get(idOrRef.id) ?? table.waitingFor(idOrRef.id);
    if (!child) {
      // an instance that has already exited is terminated; a live actor that is no child is not ours
      if (sup.isAlive(idOrRef.id)) throw notFound(sup, idOrRef);
      return;
    }
    await sup.stopOne(child);
    table.remove(child);
    return;
  }
  if (table.simple) {
    throw new SupervisorError('simple_one_for_one', `supervisor "${sup.spec.name}" is simple_one_for_one: terminateChild takes the child's ActorRef`);
  }
  const child = byId(sup, idOrRef, 'terminateChild');
  await sup.stopOne(child);
  if (child.spec.restart === 'temporary') table.remove(child);
}

export async function restartChild(sup: Administered, id: unknown): Promise<{ pid: ActorRef | null }> {
  const child = byId(sup, id, 'restartChild');
  if (child.pid === 'restarting') throw new SupervisorError('restarting', `child "${child.spec.id}" is waiting for a restart already`);
  if (child.pid !== null) throw new SupervisorError('running', `child "${child.spec.id}" is running; terminateChild("${child.spec.id}") first`);
  return { pid: await startOrFail(sup, child) };
}

export function deleteChild(sup: Administered, id: unknown): void {
  const child = byId(sup, id, 'deleteChild');
  if (child.pid === 'restarting') throw new SupervisorError('restarting', `child "${child.spec.id}" is waiting for a restart; terminateChild("${child.spec.id}") first`);
  if (child.pid !== null) throw new SupervisorError('running', `child "${child.spec.id}" is running; terminateChild("${child.spec.id}") first`);
  sup.table.remove(child);
}
