/**
 * What the cluster tests run on: their own nats-server (JetStream on, a free port, a temporary
 * store; never the machine's shared one), nodes as separate Node processes (killed with SIGKILL),
 * and a TCP proxy between a node and the server to cut and heal its connection.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll } from 'vitest';
import { createSystem, type System } from '../../src/index.js';

function findNats(): string | undefined {
  const found = spawnSync('sh', ['-c', 'command -v nats-server'], { encoding: 'utf8' });
  return found.status === 0 ? found.stdout.trim() : undefined;
}

export const NATS_SERVER = findNats();
/** Why the cluster tests cannot run here (undefined: they can). Under CI=true it is a failure. */
export const NO_NATS = NATS_SERVER ? undefined : 'nats-server is not on PATH: install it (https://docs.nats.io/running-a-nats-service/introduction/installation) to run the cluster tests';
export const MUST_RUN = process.env.CI === 'true';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

function reachable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function until(what: string, check: () => Promise<boolean> | boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** A nats-server of our own: stop and start it again on the same port with the same store. */
export class NatsServer {
  private child: ChildProcess | undefined;
  readonly store: string;

  private constructor(
    readonly port: number,
    private readonly config: string | undefined,
  ) {
    this.store = mkdtempSync(join(tmpdir(), 'troupe-nats-'));
  }

  static async start(options: { maxPayload?: number } = {}): Promise<NatsServer> {
    const port = await freePort();
    let config: string | undefined;
    if (options.maxPayload !== undefined) {
      config = join(mkdtempSync(join(tmpdir(), 'troupe-nats-conf-')), 'nats.conf');
      writeFileSync(config, `max_payload: ${options.maxPayload}\n`);
    }
    const server = new NatsServer(port, config);
    await server.run();
    return server;
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  async run(): Promise<void> {
    const args = ['-js', '-sd', this.store, '-a', '127.0.0.1', '-p', String(this.port)];
    if (this.config) args.push('-c', this.config);
    this.child = spawn(NATS_SERVER!, args, { stdio: 'ignore' });
    await until(`nats-server on ${this.port}`, () => reachable(this.port), 10_000);
  }

  /** Stops this server (by its pid) and waits for it to be gone. */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null) return;
    const gone = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await gone;
  }

  async close(): Promise<void> {
    await this.stop();
    rmSync(this.store, { recursive: true, force: true });
  }
}

let commandIds = 0;

/** A cluster node in its own Node process (test/fixtures/cluster/node.ts). */
export class NodeProcess {
  private static readonly live = new Set<NodeProcess>();
  readonly events: Array<{ event: string; node: string }> = [];
  private readonly waiting = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  readonly exited: Promise<void>;

  private constructor(
    readonly node: string,
    private readonly child: ChildProcess,
  ) {
    NodeProcess.live.add(this);
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    child.on('message', (message: { id?: number; ok?: boolean; value?: unknown; event?: string; node?: string }) => {
      if (message.event) this.events.push({ event: message.event, node: message.node! });
      if (message.id === undefined) return;
      const waiter = this.waiting.get(message.id);
      this.waiting.delete(message.id);
      if (message.ok) waiter?.resolve(message.value);
      else waiter?.reject(new Error(String(message.value)));
    });
  }

  static start(options: { url: string; cluster: string; node: string; downAfter?: number }): Promise<NodeProcess> {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/cluster/node.ts'], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: { ...process.env, NATS_URL: options.url, CLUSTER: options.cluster, CLUSTER_NODE: options.node, DOWN_AFTER: String(options.downAfter ?? 2000), TROUPE_HOST: 'src' },
    });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`node ${options.node} did not start`)), 15_000);
      child.once('exit', (code) => reject(new Error(`node ${options.node} exited with ${code} before it was ready`)));
      child.once('message', () => {
        clearTimeout(timer);
        resolve(new NodeProcess(options.node, child));
      });
    });
  }

  command(command: Record<string, unknown>): Promise<unknown> {
    const id = ++commandIds;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.child.send({ ...command, id });
    });
  }

  /** Kills every node process still running (afterAll). */
  static async killAll(): Promise<void> {
    await Promise.all([...NodeProcess.live].map((node) => node.kill()));
  }

  /** SIGKILL: the node dies without a word. */
  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.exited;
    NodeProcess.live.delete(this);
  }
}

/** A TCP proxy in front of the server: `cut()` severs a node from NATS, `heal()` lets it back. */
export class Proxy {
  private readonly sockets = new Set<Socket>();
  private open = true;

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(target: number): Promise<Proxy> {
    const server = createServer();
    let proxy: Proxy | undefined = undefined;
    server.on('connection', (client) => {
      if (!proxy?.open) return void client.destroy();
      const upstream = connect(target, '127.0.0.1');
      proxy.sockets.add(client).add(upstream);
      const drop = (): void => {
        client.destroy();
        upstream.destroy();
        proxy?.sockets.delete(client);
        proxy?.sockets.delete(upstream);
      };
      client.on('error', drop).on('close', drop).pipe(upstream);
      upstream.on('error', drop).on('close', drop).pipe(client);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    proxy = new Proxy(server, (server.address() as { port: number }).port);
    return proxy;
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  cut(): void {
    this.open = false;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }

  heal(): void {
    this.open = true;
  }

  close(): Promise<void> {
    this.cut();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** Resolves the next time `system` emits `event` for `node` (rejects after `ms`). */
export function nextEvent(system: System, event: 'nodeup' | 'nodedown', node: string, ms = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      system.off(event, listener);
      reject(new Error(`no ${event} for ${node} within ${ms} ms`));
    }, ms);
    const listener = (name: string): void => {
      if (name !== node) return;
      clearTimeout(timer);
      system.off(event, listener);
      resolve();
    };
    system.on(event, listener);
  });
}

/** Resolves once `system` sees `node` in its live nodes (or has seen it come up). */
export async function seen(system: System, node: string, ms = 10_000): Promise<void> {
  // nodes() answers from memory: no event can slip in between the check and the listener
  if ((await system.nodes()).some((info) => info.node === node)) return;
  await nextEvent(system, 'nodeup', node, ms);
}

/** What a file's cluster is made of (see clusterPerFile). */
export interface FileCluster {
  server: NatsServer;
  /** this process, as node `main` */
  system: System;
  /** the second node, when one was asked for */
  other: NodeProcess | undefined;
}

/**
 * One cluster for the tests of a file: its own nats-server, this process as node `main` of
 * cluster `name` (silent logs, nodedown after 2 s) and, with `peer`, a second node process this
 * one has already seen. `ready` gets them before the first test; all of it ends after the last.
 */
export function clusterPerFile(name: string, peer: string | undefined, ready: (cluster: FileCluster) => void): void {
  let cluster: FileCluster | undefined;
  beforeAll(async () => {
    const server = await NatsServer.start();
    const system = await createSystem({ hosts: 1, logger: pino({ level: 'silent' }), cluster: { servers: server.url, name, node: 'main', downAfter: 2000 } });
    cluster = { server, system, other: undefined };
    if (peer !== undefined) {
      cluster.other = await NodeProcess.start({ url: server.url, cluster: name, node: peer });
      await seen(system, peer);
    }
    ready(cluster);
  }, 30_000);
  afterAll(async () => {
    await NodeProcess.killAll();
    await cluster?.system.shutdown();
    await cluster?.server.close();
  });
}
