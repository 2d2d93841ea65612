// Embedding troupe in an HTTP service: node:http handlers ask a supervised pool of worker actors.
// The demo drives itself: it starts the server on a free port, sends 200 requests, and halfway
// kills one worker thread (with every actor on it). The supervisor restarts those actors on a live
// worker; a handler whose ask died with its worker retries on another one, so no request is lost.
//
//   npm run build && node --import tsx examples/http-service/index.ts
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSystem, NoProcError, type SupervisorEvent } from 'troupe';
import { killHost } from 'troupe/testing';
import { Handler } from './worker.js';

const WORKERS = 4;
const REQUESTS = 200;
const CONCURRENCY = 16;

const system = await createSystem({ hosts: 2 });
const sup = await system.supervise({
  name: 'http-workers',
  strategy: 'one_for_one',
  intensity: WORKERS,
  period: 5000,
  children: Array.from({ length: WORKERS }, (_, i) => ({ id: `worker-${i}`, name: `worker-${i}`, start: Handler, args: [i] })),
});

const events: SupervisorEvent[] = [];
sup.on('event', (event: SupervisorEvent) => events.push(event));
const nextRestart = (): Promise<void> => new Promise((resolve) => {
  const onEvent = (event: SupervisorEvent): void => {
    if (event.type !== 'restarted') return;
    sup.off('event', onEvent);
    resolve();
  };
  sup.on('event', onEvent);
});

const stats = { ok: 0, failed: 0, retried: 0, rerouted: 0 };

/** Asks worker `n` (by its registered name); an ask that died with its worker goes to the next one. */
async function answer(n: number, path: string): Promise<unknown> {
  for (let attempt = 0; attempt < 3 * WORKERS; attempt++) {
    const ref = system.get(`worker-${(n + attempt) % WORKERS}`);
    if (!ref) {
      stats.rerouted++;
      // every worker tried is being restarted: wait for the supervisor to bring one back
      if ((attempt + 1) % WORKERS === 0) await nextRestart();
      continue;
    }
    try {
      return await ref.ask({ type: 'handle', path }, { timeout: 5000 });
    } catch (error) {
      if (!(error instanceof NoProcError)) throw error;
      stats.retried++;
    }
  }
  throw new Error('no worker answered');
}

const server = http.createServer((req, res) => {
  const n = Number(new URL(req.url ?? '/', 'http://localhost').searchParams.get('n') ?? 0);
  answer(n, req.url ?? '/').then(
    (body) => {
      stats.ok++;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    },
    (error: unknown) => {
      stats.failed++;
      res.writeHead(503).end(String(error));
    },
  );
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const { port } = server.address() as AddressInfo;
console.log(`serving on http://127.0.0.1:${port} with ${WORKERS} supervised workers on 2 worker threads`);

// ---- the self-driven demo: a burst of requests, one worker thread killed in the middle ----------
const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
const get = (path: string): Promise<number> =>
  new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path, agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    }).on('error', reject);
  });

let sent = 0;
let fault: Promise<void> | undefined;
const statuses = new Map<number, number>();
async function client(): Promise<void> {
  while (sent < REQUESTS) {
    const i = sent++;
    if (i === REQUESTS / 2) fault = killHost(system.get('worker-0')!);
    const status = await get(`/work?n=${i}`);
    statuses.set(status, (statuses.get(status) ?? 0) + 1);
  }
}
await Promise.all(Array.from({ length: CONCURRENCY }, client));
await fault;
// The supervisor handles one message at a time: this call is answered once the exits it was told
// about (the killed worker and its collateral) have been restarted.
const children = await sup.whichChildren();

const killed = events.filter((e) => e.type === 'exited').map((e) => `${e.id} (${e.reason?.kind})`);
const restarted = events.filter((e) => e.type === 'restarted').map((e) => e.id);
console.log(`requests: ${REQUESTS} sent, ${stats.ok} answered, ${stats.failed} failed; HTTP statuses ${JSON.stringify(Object.fromEntries(statuses))}`);
console.log(`asks retried on another worker after theirs died: ${stats.retried}; sent elsewhere while theirs restarted: ${stats.rerouted}`);
console.log(`worker thread killed mid-load; exited: ${killed.join(', ')}; restarted: ${restarted.join(', ')}`);
console.log('children now:', children.map((row) => `${row.id}=${typeof row.pid === 'object' && row.pid ? 'running' : row.pid}`).join(' '));

agent.destroy();
await new Promise<void>((resolve) => server.close(() => resolve()));
await sup.stop();
await system.shutdown();
process.exitCode = stats.failed === 0 && stats.ok === REQUESTS ? 0 : 1;
