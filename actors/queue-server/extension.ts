/**
 * The queue servers of one system, as a kernel extension: it starts servers (in main, before
 * spawn() returns), knows the live ones (so a host's end reaches every one of them: the anonymous
 * code of that thread is gone) and serves the `create` op, which starts a server for a queue or
 * pipe made inside a worker — under the id the worker chose, so the worker uses it at once.
 */
import { defineExtension, type SystemExtension } from '../../src/extension.js';
import type { Host } from '../../src/hosts/host.js';
import type { SystemImpl } from '../../src/system/system.js';
import type { ServerConfig } from './protocol.js';
import type { QueueState, ServerRegistry } from './queue-state.js';
import { QueueServer } from './server.js';

export class QueueServers implements SystemExtension, ServerRegistry {
  readonly live = new Map<string, QueueState>();
  /** What every worker has published so far is delivered now (its puts reach their servers). */
  readonly readRings = (): void => {
    for (const host of this.system.hostList) host.fromWorker.pump();
  };
  readonly ops = {
    create: ([id, config]: [string, ServerConfig]): null => {
      this.start(config, id);
      return null;
    },
  };

  constructor(private readonly system: SystemImpl) {}

  /** Starts a server in main (its init is synchronous: it is up on return); returns its id. */
  start(config: ServerConfig, id?: string): string {
    return this.system.placement.spawnInMain(QueueServer, { args: [config, this] }, id);
  }

  hostEnded(host: Host): void {
    // runs inside the kernel's host-end handling: report, never throw into it
    for (const q of this.live.values()) {
      try {
        q.hostEnded(host.site);
      } catch (error) {
        this.system.log.error({ err: error, host: host.site }, 'queue server failed to handle a host end');
      }
    }
  }
}

export const QUEUE_SERVERS = defineExtension<QueueServers>({
  name: 'troupe.queues',
  create: (system) => new QueueServers(system),
});
