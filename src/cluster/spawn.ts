/**
 * Spawning on another node (DESIGN §10): nodes run the same code base, so a definition travels as
 * its module specifier — a path relative to the application root (the working directory), or the
 * module's URL when it lives elsewhere — and its export name; the other node imports it the same
 * way a worker does. A child spawned with `ctx.spawn(def, { node })` is linked to its parent and
 * owned by it across nodes.
 */
import { isAbsolute, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { asDefinition, locate, type Locator } from '../define.js';
import { RuntimeError } from '../errors.js';
import { classify, HAS_HANDLES, prepareHandles } from '../handles.js';
import { Ref } from '../ref.js';
import type { SystemImpl } from '../system/system.js';
import type { ActorDefinition, ActorRef, Placement, SpawnOptions } from '../types.js';
import type { Remote } from './remote.js';

export interface SpawnRequest {
  module: string;
  exportName: string;
  args: unknown[];
  name?: string;
  placement?: Placement;
  snapshot?: unknown;
  parent: string | null;
}

/** A module URL as the other nodes find it: relative to the application root when inside it. */
export function specifierOf(url: string): string {
  if (!url.startsWith('file:')) return url;
  const path = relative(process.cwd(), fileURLToPath(url));
  return path.startsWith('..') || isAbsolute(path) ? url : path.split('\\').join('/');
}

export function moduleOf(specifier: string): string {
  if (/^[a-z][a-z0-9+.-]*:/i.test(specifier)) return specifier;
  return pathToFileURL(resolve(process.cwd(), specifier)).href;
}

/** What travels for a spawn on another node. */
export async function spawnRequest(def: ActorDefinition, options: SpawnOptions, parent: string | null): Promise<SpawnRequest> {
  const locator: Locator = await locate(asDefinition(def));
  if (locator.by !== 'export') throw new RuntimeError('an actor spawned on another node must be an export of a module');
  let args = [...(options.args ?? [])];
  if (classify(args, 'spawn args') & HAS_HANDLES) args = prepareHandles(args, '@remote');
  const request: SpawnRequest = { module: specifierOf(locator.module), exportName: locator.exportName, args, parent };
  if (options.name !== undefined) request.name = options.name;
  if (options.placement !== undefined) request.placement = options.placement;
  if (options.snapshot !== undefined) request.snapshot = options.snapshot;
  return request;
}

/** The caller's side once the other node answered: the ref, linked to (and owned by) its parent. */
export function spawned(system: SystemImpl, remote: Remote, node: string, answer: { id: string; name?: string }, parent: string | null): ActorRef {
  remote.locations.set(answer.id, node);
  const entry = parent === null ? undefined : system.directory.entries.get(parent);
  if (entry) {
    (entry.links ??= new Set()).add(answer.id);
    (entry.children ??= new Set()).add(answer.id);
  }
  return new Ref(system.runtime, answer.id, answer.name);
}

/** Serves a spawn another node asked for. */
export async function serveSpawn(system: SystemImpl, remote: Remote, from: string, request: SpawnRequest): Promise<{ id: string; name?: string }> {
  const locator: Locator = { by: 'export', module: moduleOf(request.module), exportName: request.exportName };
  const ref = await system.placement.spawnLocated(locator, {
    args: request.args,
    name: request.name,
    placement: request.placement,
    snapshot: request.snapshot,
    parent: null,
    label: request.exportName,
  });
  if (request.parent !== null) {
    remote.locations.set(request.parent, from);
    const entry = system.directory.entries.get(ref.id);
    if (entry) (entry.links ??= new Set()).add(request.parent);
    else {
      // it exited already: its parent hears what the link would have carried
      const reason = system.directory.lastExit(ref.id);
      if (reason !== undefined && reason.kind !== 'normal') remote.linkedExited(request.parent, ref.id, reason);
    }
  }
  return ref.name === undefined ? { id: ref.id } : { id: ref.id, name: ref.name };
}
