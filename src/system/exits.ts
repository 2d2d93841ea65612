/**
 * How actors end and who hears of it, with Erlang semantics: links (an abnormal exit kills linked
 * actors unless they trap exits, which get EXIT messages instead), monitors (DOWN once; `noproc`
 * at once for a dead target), exit waiters, graceful stops and kills, and ownership — an actor's
 * children are stopped with `shutdown` before its own exit is reported (DESIGN §3.1). What this
 * system does not hold (an actor of another system of the process) is handed to its owner.
 */
import { NoProcError, serializeError } from '../errors.js';
import { Ref } from '../ref.js';
import type { ExitReason } from '../types.js';
import { serializeReason } from '../wire.js';
import type { Entry } from './directory.js';
import { ownerOf } from './registry.js';
import { stopOwned } from './shutdown.js';
import type { SystemImpl } from './system.js';

/** What `ref.exited` resolves for an id that never existed or left no trace. */
const NOPROC_EXIT: ExitReason = { kind: 'normal', detail: 'noproc' };

export class Exits {
  constructor(private readonly system: SystemImpl) {}

  private get directory() {
    return this.system.directory;
  }

  link(a: string, b: string): void {
    const ea = this.directory.entries.get(a);
    const eb = this.directory.entries.get(b);
    if (!ea) return void ownerOf(a, this.system)?.link(a, b);
    if (!eb) {
      const owner = ownerOf(b, this.system);
      if (!owner) return this.signal(ea, b, { kind: 'error', detail: 'noproc', error: new NoProcError(`link to ${b}: no such actor`) });
      (ea.links ??= new Set()).add(b);
      return owner.link(b, a);
    }
    (ea.links ??= new Set()).add(b);
    (eb.links ??= new Set()).add(a);
  }

  unlink(a: string, b: string): void {
    const ea = this.directory.entries.get(a);
    const eb = this.directory.entries.get(b);
    ea?.links?.delete(b);
    eb?.links?.delete(a);
    if (!ea) ownerOf(a, this.system)?.unlink(a, b);
    else if (!eb) ownerOf(b, this.system)?.unlink(b, a);
  }

  monitor(watcher: string, target: string): void {
    const entry = this.directory.get(target);
    if (!entry) {
      const owner = ownerOf(target, this.system);
      if (owner) return owner.monitor(watcher, target);
      return this.notify(watcher, { type: 'DOWN', ref: this.system.ref(target), reason: { kind: 'noproc' } });
    }
    (entry.watchers ??= []).push(watcher);
  }

  exitOf(id: string): Promise<ExitReason> {
    const entry = this.directory.get(id);
    if (!entry) {
      const owner = ownerOf(id, this.system);
      if (owner) return owner.exitOf(id);
      return Promise.resolve(this.directory.lastExit(id) ?? NOPROC_EXIT);
    }
    return new Promise((resolve) => (entry.waiters ??= []).push(resolve));
  }

  /**
   * An actor exited (called once, from whichever site it lived on). Its owned children (and
   * theirs) are stopped first, with reason `shutdown`; then its exit is reported.
   */
  exited(id: string, reason: ExitReason): void {
    const owner = this.directory.entries.get(id);
    if (!owner || owner.exiting) return;
    if (owner.children !== undefined && owner.children.size > 0) {
      owner.exiting = true;
      void stopOwned(this.system, owner).then(() => this.report(id, reason));
      return;
    }
    this.report(id, reason);
  }

  /** A linked supervisor logs this exit with its restart: the actor's own record would repeat it. */
  private reportedByLink(entry: Entry): boolean {
    for (const linked of entry.links ?? []) if (this.directory.entries.get(linked)?.reportsExits) return true;
    return false;
  }

  private report(id: string, reason: ExitReason): void {
    const system = this.system;
    const entry = this.directory.exited(id, reason);
    if (!entry) return;
    // a Process (an external entry) reports its own end, as Python does (`Process <name>:` + stack)
    if (reason.kind === 'error' && entry.control === undefined && !this.reportedByLink(entry)) {
      system.log.error({ actor: entry.label, id, err: reason.error }, 'actor exited with an error');
    }
    if (entry.name !== undefined) system.nameChanged(entry.name, undefined);
    if (entry.site !== system.runtime.site && entry.control === undefined) {
      const host = system.hostAt(entry.site);
      if (host) {
        host.load--;
        if (host.mode === 'exclusive' && host.load === 0) host.post({ t: 'close' });
      }
    }
    if (entry.watchers !== undefined && entry.watchers.length > 0) {
      const ref = new Ref(system.runtime, id, entry.name);
      for (const watcher of entry.watchers) this.notify(watcher, { type: 'DOWN', ref, reason });
    }
    for (const linked of entry.links ?? []) {
      const other = this.directory.entries.get(linked);
      if (other) {
        other.links?.delete(id);
        this.signal(other, id, reason);
      } else {
        ownerOf(linked, system)?.linkedExited(linked, id, reason);
      }
    }
    for (const waiter of entry.waiters ?? []) waiter(reason);
  }

  /** An actor of another system that `id` is linked to exited. */
  linkedExited(id: string, from: string, reason: ExitReason): void {
    const entry = this.directory.entries.get(id);
    if (!entry) return;
    entry.links?.delete(from);
    this.signal(entry, from, reason);
  }

  /** An exit signal from `from` reaches `entry` (Erlang semantics). */
  private signal(entry: Entry, from: string, reason: ExitReason): void {
    if (entry.trapExit) {
      this.notify(entry.id, { type: 'EXIT', from: this.system.ref(from), reason });
    } else if (reason.kind !== 'normal') {
      this.terminate(entry.id, reason.kind === 'killed' ? { kind: 'killed' } : reason, reason.kind !== 'killed');
    }
  }

  /** A system message (DOWN, EXIT): errors inside travel serialised to other threads. */
  private notify(to: string, message: { type: string; reason: any; [key: string]: unknown }): void {
    const cell = this.system.runtime.cells.get(to);
    if (cell) return cell.enqueue({ to, msg: message });
    const reason = message.reason as ExitReason;
    const wire = reason.error === undefined ? message : { ...message, reason: { ...reason, error: { __troupe: 'error', e: serializeError(reason.error) } } };
    this.system.route({ to, msg: wire, handles: 1 });
  }

  /** Graceful stop; resolves once the actor has exited. */
  stop(id: string, reason: ExitReason): Promise<void> {
    const entry = this.directory.get(id);
    if (!entry) return ownerOf(id, this.system)?.stopActor(id, reason) ?? Promise.resolve();
    const exited = this.exitOf(entry.id).then(() => {});
    const cell = this.system.runtime.cells.get(entry.id);
    if (cell) cell.requestStop(reason);
    else if (entry.control) entry.control.stop(reason);
    else this.system.hostAt(entry.site)?.post({ t: 'stop', id: entry.id, reason: serializeReason(reason) });
    return exited;
  }

  /** Ends an actor now: runs onStop unless told not to (killed); an external entry is ended by its owner. */
  terminate(id: string, reason: ExitReason, runStop = false): void {
    const entry = this.directory.entries.get(id);
    if (!entry) return void ownerOf(id, this.system)?.terminate(id, reason, runStop);
    const cell = this.system.runtime.cells.get(id);
    if (cell) return void cell.finish(reason, runStop);
    if (entry.control) return reason.kind === 'killed' ? entry.control.kill(reason) : entry.control.stop(reason);
    const host = this.system.hostAt(entry.site);
    if (!host) return this.exited(id, reason);
    host.post(runStop ? { t: 'stop', id, reason: serializeReason(reason) } : { t: 'kill', id, reason: serializeReason(reason) });
  }
}
