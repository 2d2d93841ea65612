/**
 * The node's NATS connection and the cluster's subject layout. NATS is imported here, lazily:
 * only a system created with `{ cluster }` loads it. Every node listens on one subject of its
 * own (`troupe.<cluster>.node.<node>`: one publisher and one subscriber per pair keep NATS's
 * per-publisher order, which is our per-pair FIFO), heartbeats go to `troupe.<cluster>.hb`, and
 * cluster Pool tasks to a queue group on `troupe.<cluster>.pool`.
 */
import { RuntimeError, ValueError } from '../errors.js';
import type { ClusterOptions } from '../types.js';

/** The part of a NATS connection the cluster uses (typed here so the kernel needs no NATS types). */
export interface Nats {
  publish(subject: string, payload?: Uint8Array | string, options?: { reply?: string }): void;
  subscribe(subject: string, options: { queue?: string; callback: (error: Error | null, msg: NatsMsg) => void }): { unsubscribe(): void };
  flush(): Promise<void>;
  close(): Promise<void>;
  drain(): Promise<void>;
  isClosed(): boolean;
  status(): AsyncIterable<{ type: string }>;
  readonly info?: { max_payload: number };
}

export interface NatsMsg {
  readonly subject: string;
  readonly data: Uint8Array;
  readonly reply?: string;
}

export interface Subjects {
  node(name: string): string;
  readonly heartbeat: string;
  readonly pool: string;
  /** the KV bucket of global names */
  readonly bucket: string;
}

const SAFE = /^[A-Za-z0-9_-]+$/;

export function checkName(what: string, name: unknown): string {
  if (typeof name !== 'string' || !SAFE.test(name)) {
    throw new ValueError(`cluster ${what} must be a non-empty string of letters, digits, '-' and '_' (got ${JSON.stringify(name)}): it is part of NATS subject names`);
  }
  return name;
}

export function subjects(cluster: string): Subjects {
  const prefix = `troupe.${cluster}`;
  return {
    node: (name) => `${prefix}.node.${name}`,
    heartbeat: `${prefix}.hb`,
    pool: `${prefix}.pool`,
    bucket: `troupe_${cluster}_names`,
  };
}

/** Connects to NATS with the user's `connect` options (credentials, tokens, nkeys, TLS) passed through. */
export async function connectNats(options: ClusterOptions, node: string): Promise<Nats> {
  let transport: { connect(options: Record<string, unknown>): Promise<unknown> };
  try {
    transport = (await import('@nats-io/transport-node')) as typeof transport;
  } catch (error) {
    throw new RuntimeError('createSystem({ cluster }) needs the NATS client: npm install @nats-io/transport-node @nats-io/kv', { cause: error });
  }
  try {
    return (await transport.connect({
      name: `troupe ${node}`,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      pingInterval: 10_000,
      ...options.connect,
      servers: options.servers,
    })) as Nats;
  } catch (error) {
    throw new RuntimeError(`cannot connect to NATS at ${String(options.servers)}: start nats-server (with -js for global names) or fix cluster.servers / cluster.connect`, { cause: error });
  }
}
