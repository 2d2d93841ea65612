/**
 * Joining a cluster (DESIGN §10): what `createSystem({ cluster })` loads, lazily, through the
 * composition root. Checks the options, connects to NATS, opens the global-name bucket (when
 * JetStream is on) and starts the node.
 */
import { hostname } from 'node:os';
import { ValueError } from '../errors.js';
import type { ClusterHook } from '../system/cluster-hook.js';
import type { SystemImpl } from '../system/system.js';
import type { ClusterOptions } from '../types.js';
import './handle-proxy.js';
import { checkName, connectNats, subjects } from './connection.js';
import { openNames } from './names.js';
import { ClusterNode } from './node.js';
import { ClusterPool } from './pool.js';

const DEFAULT_DOWN_AFTER = 3000;

export async function joinCluster(system: SystemImpl, options: ClusterOptions): Promise<ClusterHook> {
  if (typeof options !== 'object' || options === null) throw new ValueError('createSystem({ cluster }) takes { servers, name, node?, downAfter?, connect? }');
  if (typeof options.servers !== 'string' && !Array.isArray(options.servers)) {
    throw new ValueError(`cluster.servers must be a NATS URL or a list of them, e.g. 'nats://127.0.0.1:4222' (got ${typeof options.servers})`);
  }
  const cluster = checkName('name', options.name);
  const node = checkName('node', options.node ?? `${hostname().replace(/[^A-Za-z0-9_-]/g, '_')}-${process.pid}`);
  const downAfter = options.downAfter ?? DEFAULT_DOWN_AFTER;
  if (typeof downAfter !== 'number' || !(downAfter >= 200)) throw new ValueError(`cluster.downAfter must be a number of ms, at least 200 (got ${String(downAfter)})`);
  if (options.connect !== undefined && (typeof options.connect !== 'object' || options.connect === null)) {
    throw new ValueError('cluster.connect must be an object of NATS connection options (user, pass, token, tls, ...)');
  }
  const nats = await connectNats(options, node);
  const member = new ClusterNode(system, nats, subjects(cluster), node, downAfter);
  try {
    member.names = await openNames(member);
  } catch (error) {
    member.log.warn({ err: error }, 'global names are off: the NATS server has no JetStream (start it with -js)');
  }
  const pool = new ClusterPool(member);
  member.parts.set('pool', pool);
  member.start();
  pool.start();
  return member;
}
