/**
 * The main thread's side of the host protocol: what host workers send (envelope, item and reply
 * records, exits, kernel calls, logs, task results, extension messages), the requests main waits
 * on (spawns, tasks), and what a host's death means: its extensions hear first, then its actors
 * exit `killed`, and every spawn, task and ask that depended on it settles. Every worker's
 * traffic, worker-to-worker messages included, passes here in the order it was sent (DESIGN §1:
 * causal order per thread).
 */
import pino from 'pino';
import type { Envelope } from '../envelope.js';
import type { Locator } from '../define.js';
import { BrokenWorkerError, NoProcError, reviveError, serializeError } from '../errors.js';
import { checkCloneable, prepareHandles, reviveHandles } from '../handles.js';
import type { Host, HostEnd } from '../hosts/host.js';
import { unreachable, type FromHost, type SpawnRequest, type ToHost } from '../hosts/protocol.js';
import { noProcReply } from '../runtime.js';
import { ITEM_AGAIN, itemEnvelope, readRecord, REPLY, reviveReason, type ItemHeader } from '../wire.js';
import type { SystemImpl } from './system.js';

/** A merged list message goes out at this many items (the queue server takes them in one turn). */
const MAX_MERGED = 4096;

interface Pending<T> {
  site: number;
  resolve(value: T): void;
  reject(error: unknown): void;
}

export class HostLink {
  private readonly system: SystemImpl;
  private readonly spawns = new Map<number, Pending<void>>();
  private readonly tasks = new Map<number, Pending<unknown>>();
    private nextRid = 1;
  /** consecutive items of one list message read from a ring, merged until something else comes */
  private open: { header: ItemHeader; envelope: Envelope } | undefined;

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
    const message: ToHost = { t: 'task', rid, loc: locator as Locator, args };
    try {
      if (checkCloneable(args, 'task arguments')) message.handles = 1;
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise((resolve, reject) => {
      this.tasks.set(rid, { site: host.site, resolve, reject });
      host.post(message);
    });
  }

  /** What a host sent, in its order: a record (an array, see wire.ts) or a control message. */
  message(host: Host, message: FromHost | unknown[]): void {
    if (Array.isArray(message)) return this.record(host, message);
    this.drained();
    this.control(host, message);
  }

  private record(host: Host, value: unknown[]): void {
    // a burst's ITEM_AGAIN records (the common case) need no read into an object
    if (value[0] === ITEM_AGAIN && host.lastItem !== undefined) return this.item(host, host.lastItem, value[1]);
    if (value[0] === REPLY) {
      // nor a reply: [REPLY, site, rid, ok, value]
      this.drained();
      return this.system.replyArrived(value[1] as number, value[2] as number, value[3] as boolean, value[4]);
    }
    const record = readRecord(value, host.lastItem);
    if (record.kind === 'item') return this.item(host, record.header, record.item);
    this.drained();
    if (record.kind === 'envelope') this.system.route(record.envelope);
    else this.system.routeReply(record.reply);
  }

  /** One item of a list message: merged into the open one when it has the same header. */
  private item(host: Host, header: ItemHeader, item: unknown): void {
    const open = this.open;
    // a header object belongs to one ring: the same object is the same sender, target and kind
    if (open !== undefined && open.header === header) {
      // a full message goes out now; the next item starts another
      if ((open.envelope.msg as { items: unknown[] }).items.push(item) >= MAX_MERGED) this.drained();
      return;
    }
    this.drained();
    host.lastItem = header;
    this.open = { header, envelope: itemEnvelope(header, item) };
  }

  /** A batch boundary: the list message being merged goes out. */
  drained(): void {
    const open = this.open;
    if (open === undefined) return;
    this.open = undefined;
    this.system.route(open.envelope);
  }

  private control(host: Host, message: FromHost): void {
    const system = this.system;
    switch (message.t) {
      case 'dead':
        system.deadLetter(message.envelope);
        return;
      case 'spawned':
        return settle(this.spawns, message.rid, message.ok, message.ok ? undefined : reviveError(message.error));
      case 'exited':
        return system.actorExited(message.id, reviveReason(message.reason));
      case 'call':
        return void this.call(host, message);
      case 'ran':
        system.extensionByName(message.ext)?.taskEnded?.(host, message.result);
        return;
      case 'ext':
        system.extensionByName(message.ext)?.hostMessage?.(host, message.msg);
        return;
      case 'log':
        return this.writeLine(message.line);
      case 'taskDone':
        return settle(this.tasks, message.rid, message.ok, message.ok ? (message.handles ? reviveHandles(message.value, system.runtime) : message.value) : reviveError(message.value));
      case 'ready':
      case 'fatal':
      case 'closed':
        return; // the host pool's own business
      default:
        unreachable(message);
    }
  }

  /** Workers' pino JSON lines reach the system's log stream. */
  private writeLine(line: string): void {
    const stream = (this.system.log as unknown as Record<symbol, { write(line: string): void } | undefined>)[pino.symbols.streamSym];
    stream?.write(line);
  }

  /** A kernel call from a worker (rid 0: no answer wanted). */
  private async call(host: Host, message: Extract<FromHost, { t: 'call' }>): Promise<void> {
    const system = this.system;
    let reply: ToHost;
    try {
      // handles among the args stay in their wire form: ops pass them on (a Process's args) untouched
      const value = await system.runOp(message.ext, message.op, message.args, host.site);
      reply = { t: 'result', rid: message.rid, ok: true, value };
      if (checkCloneable(value, `${message.op} result`)) {
        reply.handles = 1;
        reply.value = prepareHandles(value, `@${host.site}`);
      }
    } catch (error) {
      reply = { t: 'result', rid: message.rid, ok: false, value: serializeError(error) };
    }
    if (message.rid !== 0) host.post(reply);
    if (message.sync) host.wakeBlocked();
  }

  /** A host ended: its extensions hear first; its actors exit `killed`; what depended on it settles. */
  ended(host: Host, end: HostEnd): void {
    const system = this.system;
    const cause = end.kind === 'died' ? end.cause : 'closed';
    rejectSite(this.spawns, host.site, () => new NoProcError(`the worker died while the actor was starting (${cause})`));
    rejectSite(this.tasks, host.site, () => new BrokenWorkerError(`the worker running this task died (${cause}); the pool replaces it`));
    const dead = system.directory.idsOnSite(host.site, false);
    for (const envelope of host.takeUnsent()) noProcReply(system.runtime, envelope);
    if (end.kind === 'died' && dead.size > 0 && !host.closing) {
      system.log.warn({ host: host.site, cause: end.cause, actors: dead.size }, 'host worker died; its actors exit killed');
    }
    system.hostEnded(host, end);
    for (const id of dead) system.actorExited(id, { kind: 'killed', detail: end.kind === 'died' ? end.cause : 'host closed' });
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
