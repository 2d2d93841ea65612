/**
 * The multiprocessing extension, main side: one per system, it owns the system's ProcessTable,
 * serves the Process kernel ops workers call (start, wait, signal), hears what the worker of a
 * Process reports (its exit code; process.exit), starts Process targets as supervised function
 * children, and terminates live processes first at shutdown. Its host side is host-extension.ts.
 */
import type { Locator } from '../define.js';
import { defineExtension, type ExtensionDef, type SystemExtension } from '../extension.js';
import type { Host, HostEnd } from '../hosts/host.js';
import type { SystemImpl } from '../system/system.js';
import type { ActorRef } from '../types.js';
import { locateTarget } from '../target.js';
import { EXTENSION, type FromProcessHost } from './process-protocol.js';
import { ProcessTable } from './process-table.js';

/** What a worker sends to register a process it is starting (id and pid are chosen there). */
export interface StartRequest {
  id: string;
  name: string;
  identity: number[];
  daemon: boolean;
  pid: number;
  /** the launch itself, when the worker knew the target's export at start() */
  launch?: { locator: Locator; args: unknown[]; subclass: boolean };
}

export class Multiprocessing implements SystemExtension {
  readonly processes: ProcessTable;
  readonly ops;

  constructor(private readonly system: SystemImpl) {
    this.processes = new ProcessTable(system);
    const table = this.processes;
    this.ops = {
      /** a worker registers a child process before anything else of it is sent (runs synchronously) */
      reserve: ([request]: [StartRequest], from: { site: number }) => {
        const { launch, ...started } = request;
        const host = system.hostAt(from.site);
        const parent = host ? table.processOn(host) : undefined;
        const reserved = table.reserve({
          ...started,
          parentId: parent?.id ?? null,
          parent: parent ? { name: parent.name, pid: parent.pid, id: parent.id } : null,
          site: from.site,
        });
        if (launch) table.launch(reserved.id, launch.locator, launch.args, launch.subclass);
        return null;
      },
      /** a process's mailbox, made on first use (null once it has ended) */
      mailbox: ([id]: [string]) => table.mailbox(id) ?? null,
      launch: ([id, locator, args, subclass]: [string, Locator, unknown[], boolean]) => table.launch(id, locator, args, subclass),
      abandon: ([id]: [string]) => table.abandon(id),
      wait: ([id]: [string]) => table.exitcodeOf(id),
      /** null while the process lives, else its exit code (a child asking after its parent) */
      ended: ([id]: [string]) => table.endedWith(id),
      signal: ([id, code]: [string, -15 | -9]) => table.signal(id, code),
    };
  }

  taskEnded(host: Host, result: unknown): void {
    this.processes.taskEnded(host, result);
  }

  hostMessage(host: Host, message: unknown): void {
    const msg = message as FromProcessHost;
    if (msg.type === 'exit') this.processes.exited(host, msg.code);
  }

  hostEnded(host: Host, end: HostEnd): void {
    this.processes.hostEnded(host, end);
  }

  shutdown(): Promise<void> {
    return this.processes.terminateAll();
  }

  /** A Process target started as a supervised child (linked to its supervisor). */
  async startChild(target: Function, args: readonly unknown[], name: string | undefined, supervisor: string): Promise<ActorRef> {
    const locator = await locateTarget(target, 'child target');
    const launched = this.processes.start({
      locator,
      args: [...args],
      subclass: false,
      name: name ?? (target.name || 'Process'),
      identity: [],
      daemon: false,
      parentId: null,
      parent: { name: 'MainProcess', pid: process.pid, id: null },
      supervisor,
    });
    return this.system.ref(launched.id);
  }
}

export const MULTIPROCESSING: ExtensionDef<Multiprocessing> = defineExtension<Multiprocessing>({
  name: EXTENSION,
  hostModule: 'src/multiprocessing/host-extension.js',
  childKind: {
    accepts: (start) => typeof start === 'function',
    start: (system, start, args, options): Promise<ActorRef> => system.extension(MULTIPROCESSING).startChild(start as Function, args, options.name, options.parent),
  },
  create: (system) => new Multiprocessing(system),
});

/** The multiprocessing extension of `system`. */
export function multiprocessing(system: SystemImpl): Multiprocessing {
  return system.extension(MULTIPROCESSING);
}
