// The cluster example (DESIGN §10): three nodes — three `node` processes — share the jobs of a
// supervised set of workers; one node is killed (SIGKILL) mid-run and its workers move to the
// two that are left. Needs nats-server on PATH (it starts its own on a free port), or an existing
// server in NATS_URL.
//
//   npm run build && node --import tsx examples/cluster/index.ts
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const port = await new Promise<number>((resolve) => {
  const server = createServer().listen(0, '127.0.0.1', () => {
    const { port } = server.address() as { port: number };
    server.close(() => resolve(port));
  });
});
let nats: ChildProcess | undefined;
let store: string | undefined;
let url = process.env.NATS_URL;
if (!url) {
  if (spawnSync('sh', ['-c', 'command -v nats-server']).status !== 0) {
    console.log('This example needs a NATS server: install nats-server (https://nats.io) or set NATS_URL.');
    process.exit(0);
  }
  store = mkdtempSync(join(tmpdir(), 'troupe-example-'));
  nats = spawn('nats-server', ['-js', '-sd', store, '-a', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  url = `nats://127.0.0.1:${port}`;
  await new Promise((resolve) => setTimeout(resolve, 500));
}

const start = (name: string, role?: string): ChildProcess =>
  spawn(process.execPath, ['--import', 'tsx', 'examples/cluster/node.ts', name, ...(role ? [role] : [])], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, NATS_URL: url, ROUNDS: '30' },
  });

const others = [start('node-b'), start('node-c')];
const lead = start('node-a', 'lead');
await new Promise<void>((resolve) => {
  lead.on('message', (message: { round?: number; done?: boolean }) => {
    if (message.round === 10) {
      console.log('--- killing node-c (SIGKILL): its hashers move to the live nodes ---');
      others[1]!.kill('SIGKILL');
    }
    if (message.done) resolve();
  });
});
lead.kill('SIGTERM');
others[0]!.kill('SIGTERM');
await Promise.all([lead, ...others].map((child) => new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(null) : child.once('exit', resolve)))));
nats?.kill();
if (store) rmSync(store, { recursive: true, force: true });
