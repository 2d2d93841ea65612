/**
 * The main thread's side of the host protocol: what host workers send (envelopes, replies,
 * fences, exits, kernel calls, logs, task results), the requests main waits on (spawns, Pool
 * tasks), the direct links it sets up between hosts, and what a host's death means: its actors
 * exit `killed`, and every spawn, task and ask that depended on it settles.
 */
import { MessageChannel } from 'node:worker_threads';
import pino from 'pino';
import { BrokenWorkerError, NoProcError, reviveError, serializeError } from './errors.js';
import { checkCloneable, reviveHandles } from './handles.js';
import type { Host, HostEnd } from './hosts/host-pool.js';
import type { FromHost, SpawnRequest, ToHost } from './hosts/protocol.js';
import { decodeBatch, noProcReply } from './runtime.js';
import type { SystemImpl } from './system.js';
import { reviveReason } from './wire.js';

interface Pending<T> {
  site: number;
  resolve(value: T): void;
  reject(error: unknown): void;
}

export class HostLink {
  private readonly system: SystemImpl;
  private readonly spawns = new Map<number, Pending<void>>();
  private readonly tasks = new Map<number, Pending<unknown>>();
  /** host pairs linked directly ("a:b", a < b) */
  private readonly pairs = new Set<string>();
  private nextRid = 1;

  constructor(system: SystemImpl) {
    this.system = system;
  }

  /** Asks a host to start an actor; settles when it has (or with the init error, or its death). */
  spawn(host: Host, request: SpawnRequest): Promise<void> {
    request.rid = this.nextRid++;
    return new Promise((resolve, reject) => {
      this.spawns.set(request.rid, { site: host.site, resolve, reject });
      host.post(request);
    });
  }

  runTask(host: Host, locator: unknown, args: unknown[]): Promise<unknown> {
    const rid = this.nextRid++;
    const message: ToHost = { t: 'task', rid, loc: locator as never, args };
    try {
      if (checkCloneable(args, 'task arguments')) message.h = 1;
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise((resolve, reject) => {
      this.tasks.set(rid, { site: host.site, resolve, reject });
      host.post(message);
    });
  }

  /** Links two hosts directly and tells `from` where `id` lives, so later sends skip main. */
  shortcut(from: Host, to: Host, id: string): void {
    const key = from.site < to.site ? `${from.site}:${to.site}` : `${to.site}:${from.site}`;
    if (!this.pairs.has(key)) {
      this.pairs.add(key);
      const { port1, port2 } = new MessageChannel();
      from.post({ t: 'peer', site: to.site, port: port1 }, [port1]);
      to.post({ t: 'peer', site: from.site, port: port2 }, [port2]);
    }
    if (from.told.has(id)) return;
    if (from.told.size > 100_000) from.told.clear();
    from.told.add(id);
    from.postOrdered({ t: 'where', id, site: to.site });
  }

  message(host: Host, message: FromHost): void {
    const system = this.system;
    switch (message.t) {
      case 'd':
        for (const envelope of decodeBatch(message.b)) system.route(envelope, undefined, host);
        return;
      case 'r':
        for (const reply of message.b) system.routeReply(reply);
        return;
      case 'fence': {
        system.hostAt(message.to)?.postOrdered({ t: 'fence', from: host.site, seq: message.seq });
        return;
      }
      case 'dead':
        for (const envelope of message.b) system.deadLetter(envelope);
        return;
      case 'spawned':
        return settle(this.spawns, message.rid, message.ok, message.ok ? undefined : reviveError(message.v));
      case 'exited':
        return system.actorExited(message.id, reviveReason(message.reason));
      case 'call':
        return void this.call(host, message.rid, message.op, message.h ? reviveHandles(message.args, system.runtime) : message.args);
      case 'exitcode':
        system.emit('processExit', message.id, message.code, host, message.hard);
        return;
      case 'log':
        if (system.listenerCount('workerLog') > 0) system.emit('workerLog', message.b, host);
        else this.writeLines(message.b);
        return;
      case 'taskDone':
        return settle(this.tasks, message.rid, message.ok, message.ok ? (message.h ? reviveHandles(message.v, system.runtime) : message.v) : reviveError(message.v));
    }
  }

  /** Without a log sink, workers' pino JSON lines still reach the system's log stream. */
  private writeLines(batch: unknown[]): void {
    const stream = (this.system.log as unknown as Record<symbol, { write(line: string): void } | undefined>)[pino.symbols.streamSym];
    for (const item of batch) if (typeof item === 'string') stream?.write(item);
  }

  /** A kernel call from a worker (rid 0: no answer wanted). */
  private async call(host: Host, rid: number, op: string, args: unknown[]): Promise<void> {
    let reply: ToHost;
    try {
      const value = await this.system.runOp(op, args, host.site);
      reply = { t: 'res', rid, ok: true, v: value };
      if (checkCloneable(value, `${op} result`)) reply.h = 1;
    } catch (error) {
      reply = { t: 'res', rid, ok: false, v: serializeError(error) };
    }
    if (rid !== 0) host.post(reply);
  }

  /** A host ended: every actor on it exits `killed`; spawns, tasks and asks that needed it settle. */
  ended(host: Host, end: HostEnd): void {
    const system = this.system;
    const cause = end.kind === 'died' ? end.cause : 'closed';
    rejectSite(this.spawns, host.site, () => new NoProcError(`the worker died while the actor was starting (${cause})`));
    rejectSite(this.tasks, host.site, () => new BrokenWorkerError(`the worker running this task died (${cause}); the pool replaces it`));
    const dead = system.idsOnSite(host.site);
    for (const envelope of host.takeUnsent()) noProcReply(system.runtime, envelope);
    const onlyProcess = dead.size === 1 && system.isProcess([...dead][0]!);
    if (end.kind === 'died' && dead.size > 0 && !onlyProcess && !host.closing) {
      system.log.warn({ host: host.site, cause: end.cause, actors: dead.size }, 'host worker died; its actors exit killed');
    }
    for (const key of this.pairs) if (key.split(':').includes(String(host.site))) this.pairs.delete(key);
    system.emit('hostEnded', host, end);
    for (const id of dead) {
      if (system.isProcess(id)) continue; // the Process facade reports its own exit code
      system.actorExited(id, { kind: 'killed', detail: end.kind === 'died' ? end.cause : 'host closed' });
    }
    if (dead.size > 0) {
      const ids = [...dead];
      system.runtime.targetsDown(dead);
      for (const other of system.hostList) if (other.alive) other.post({ t: 'down', ids });
    }
  }

  /** The system is going away: nothing it was waiting on will answer. */
  rejectAll(error: Error): void {
    for (const pending of this.spawns.values()) pending.reject(error);
    for (const pending of this.tasks.values()) pending.reject(error);
    this.spawns.clear();
    this.tasks.clear();
  }
}

function settle<T>(pending: Map<number, Pending<T>>, rid: number, ok: boolean, value: unknown): void {
  const waiter = pending.get(rid);
  if (!waiter) return;
  pending.delete(rid);
  if (ok) waiter.resolve(value as T);
  else waiter.reject(value);
}

function rejectSite<T>(pending: Map<number, Pending<T>>, site: number, error: () => Error): void {
  for (const [rid, waiter] of pending) {
    if (waiter.site !== site) continue;
    pending.delete(rid);
    waiter.reject(error());
  }
}
