/**
 * The cluster rows (DESIGN §9, §10): a cross-node ask round trip against a raw NATS request/reply,
 * and one-way cross-node messages against raw NATS publishes of the same payloads, both on the
 * same nats-server (started here on a free port) to a second Node process. Skipped, with the
 * reason printed, when nats-server is not on PATH.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect as tcp, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { createSystem } from 'troupe';
import { Far } from './cluster-actors.js';
import { measure, performance, progress } from './harness.js';
import type { Target } from './targets.js';

const ASKS = 2000;
const SENDS = 50_000;

export interface ClusterRows {
  targets: Target[];
  skipped?: string;
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function reachable(port: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const up = await new Promise<boolean>((resolve) => {
      const socket = tcp(port, '127.0.0.1');
      socket.once('connect', () => (socket.destroy(), resolve(true))).once('error', () => resolve(false));
    });
    if (up) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`nats-server did not listen on ${port}`);
}

export async function clusterRows(): Promise<ClusterRows> {
  const found = spawnSync('sh', ['-c', 'command -v nats-server'], { encoding: 'utf8' });
  if (found.status !== 0) return { targets: [], skipped: 'cluster rows skipped: nats-server is not on PATH' };
  const store = mkdtempSync(join(tmpdir(), 'troupe-bench-nats-'));
  const port = await freePort();
  const server = spawn(found.stdout.trim(), ['-js', '-sd', store, '-a', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  const url = `nats://127.0.0.1:${port}`;
  const far = spawn(process.execPath, ['--import', 'tsx', 'bench/cluster-node.ts'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env: { ...process.env, NATS_URL: url } });
  try {
    await reachable(port);
    await new Promise((resolve, reject) => far.once('message', resolve).once('exit', reject));
    const system = await createSystem({ hosts: 1, cluster: { servers: url, name: 'bench', node: 'near' } });
    const raw = await connect({ servers: url });
    try {
      const ref = await system.spawn(Far, { node: 'far', placement: 'main' });
      const payload = { type: 'echo', value: 1 };
      const bytes = new TextEncoder().encode(JSON.stringify(payload));
      progress('cluster: ask round trip');
      const troupeAsk = await measure(async () => {
        const t0 = performance.now();
        for (let i = 0; i < ASKS; i++) await ref.ask(payload);
        return ((performance.now() - t0) * 1e3) / ASKS;
      });
      const rawAsk = await measure(async () => {
        const t0 = performance.now();
        for (let i = 0; i < ASKS; i++) await raw.request('bench.echo', bytes);
        return ((performance.now() - t0) * 1e3) / ASKS;
      });
      progress('cluster: one-way messages');
      const note = { type: 'note' };
      const noteBytes = new TextEncoder().encode(JSON.stringify({ to: ref.id, msg: note }));
      let sent = 0;
      const troupeOneWay = await measure(async () => {
        const t0 = performance.now();
        for (let i = 0; i < SENDS; i++) ref.send(note);
        sent += SENDS;
        while ((await ref.ask({ type: 'count' }, { timeout: 60_000 })) !== sent);
        return SENDS / ((performance.now() - t0) / 1e3);
      });
      let published = 0;
      const rawOneWay = await measure(async () => {
        const t0 = performance.now();
        for (let i = 0; i < SENDS; i++) raw.publish('bench.oneway', noteBytes);
        published += SENDS;
        while (Number(new TextDecoder().decode((await raw.request('bench.count', undefined, { timeout: 60_000 })).data)) !== published);
        return SENDS / ((performance.now() - t0) / 1e3);
      });
      return {
        targets: [
          { metric: 'cross-node ask round trip (§10)', unit: 'µs', troupe: troupeAsk, anchor: 'raw NATS request/reply, same server', anchorValue: rawAsk, bound: { op: '<=', ratio: 1.5 } },
          { metric: 'cross-node messages, one way (§10)', unit: 'msgs/s', troupe: troupeOneWay, anchor: 'raw NATS publish, same payloads', anchorValue: rawOneWay, bound: { op: '>=', ratio: 0.5 } },
        ],
      };
    } finally {
      await raw.close();
      await system.shutdown();
    }
  } finally {
    far.send('stop');
    await new Promise((resolve) => (far.exitCode !== null ? resolve(null) : far.once('exit', resolve)));
    server.kill('SIGKILL');
    rmSync(store, { recursive: true, force: true });
  }
}
