/**
 * The directory of one system: every live actor (and every entry an extension runs, such as a
 * Process) with its site, registered name, parent, links, monitors and exit waiters; the name
 * table; and what outlives an actor for a while (its exit reason, its last persisted snapshot).
 * Pure bookkeeping: what an exit *does* (DOWN, EXIT, killing linked actors) is the system's.
 */
import type { Envelope } from '../envelope.js';
import { Recent } from '../recent.js';
import type { ExitReason } from '../types.js';

/** How an extension ends an entry it runs (the kernel has no cell to stop). */
export interface ExternalControl {
  /** graceful (SIGTERM-like for a Process) */
  stop(reason: ExitReason): void;
  /** at once */
  kill(reason: ExitReason): void;
  /** a message for it, taken in main (a Process's mailbox) instead of forwarded to its host */
  deliver?(envelope: Envelope): void;
}

/** One live actor as the directory knows it. */
export interface Entry {
  id: string;
  /** the thread it lives on: the system's main site or a host's site (-1: not placed yet) */
  site: number;
  name: string | undefined;
  label: string;
  trapExit: boolean;
  parent: string | null;
  /** children spawned with ctx.spawn (stopped before their parent's exit is reported) */
  children?: Set<string>;
  links?: Set<string>;
  watchers?: string[];
  waiters?: Array<(reason: ExitReason) => void>;
  snapshot?: unknown;
  /** set for entries an extension runs (a Process): how to end them */
  control?: ExternalControl;
  /** it exited and its owned children are being stopped before its exit is reported */
  exiting?: boolean;
  /** it logs the abnormal exits of the actors linked to it (a supervisor): they log nothing of their own */
  reportsExits?: boolean;
}

/** The prefix of a name-addressed id (`name:<registered name>`). */
export const NAME_PREFIX = 'name:';

export class Directory {
  readonly entries = new Map<string, Entry>();
  readonly names = new Map<string, string>();
  private readonly snapshots = new Recent<unknown>();
  private readonly exits = new Recent<ExitReason>();

  /** The entry of an id or a `name:` address. */
  get(id: string): Entry | undefined {
    return this.entries.get(id.startsWith(NAME_PREFIX) ? (this.names.get(id.slice(NAME_PREFIX.length)) ?? id) : id);
  }

  has(id: string): boolean {
    return this.entries.has(id);
  }

  idOf(name: string): string | undefined {
    return this.names.get(name);
  }

  add(entry: Entry): void {
    this.entries.set(entry.id, entry);
    if (entry.name !== undefined) this.names.set(entry.name, entry.id);
  }

  /** Removes an entry that never started (its start failed). */
  drop(entry: Entry): void {
    this.entries.delete(entry.id);
    this.freeName(entry);
  }

  /** Removes an exited entry, keeping its reason and snapshot for a while. */
  exited(id: string, reason: ExitReason): Entry | undefined {
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    this.entries.delete(id);
    this.freeName(entry);
    if (entry.snapshot !== undefined) this.snapshots.set(id, entry.snapshot);
    this.exits.set(id, reason);
    if (entry.parent !== null) this.entries.get(entry.parent)?.children?.delete(id);
    return entry;
  }

  private freeName(entry: Entry): void {
    if (entry.name !== undefined && this.names.get(entry.name) === entry.id) this.names.delete(entry.name);
  }

  /** The reason a recently exited actor exited with. */
  lastExit(id: string): ExitReason | undefined {
    return this.exits.get(id);
  }

  /** The last persisted snapshot of an actor, alive or recently exited. */
  snapshotOf(id: string): unknown {
    return this.entries.get(id)?.snapshot ?? this.snapshots.get(id);
  }

  /** Ids of the entries living on `site` (external ones only if asked). */
  idsOnSite(site: number, external: boolean): Set<string> {
    const ids = new Set<string>();
    for (const entry of this.entries.values()) if (entry.site === site && (external || entry.control === undefined)) ids.add(entry.id);
    return ids;
  }

  clear(): void {
    this.entries.clear();
    this.names.clear();
  }
}
