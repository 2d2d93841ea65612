/**
 * Supervisor restart latency (DESIGN §9): the time from a fault to the supervisor's `restarted`
 * event, median over many restarts.
 *
 * - `in-host`: the child runs in the supervisor's own thread (placement 'main'); a crash (a throw
 *   in its next turn) → EXIT → restart → `restarted`. Compared with an Erlang in-VM restart.
 * - `worker-death`: the child runs on a shared worker; the whole worker is terminated → the
 *   runtime notices, the child exits `killed` → restart on a live worker → `restarted`.
 *
 *   node --import tsx bench/restart.ts      # prints both, with logging off / on
 */
import { Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import pino, { type Logger } from 'pino';
import { createSystem, type ActorRef, type Supervisor, type SupervisorEvent, type System } from 'troupe';
import { crash, killHost } from 'troupe/testing';
import { Idle } from './actors.js';
import { median, performance } from './harness.js';

/** A pino logger at `level` writing to a sink that drops the bytes (serialisation still paid). */
function nullLogger(level: string): Logger {
  return pino({ level }, new Writable({ write: (_chunk, _encoding, done) => done() }));
}

function nextRestart(sup: Supervisor): Promise<{ at: number; ref: ActorRef }> {
  return new Promise((resolve) => {
    const onEvent = (event: SupervisorEvent): void => {
      if (event.type !== 'restarted') return;
      const at = performance.now();
      sup.off('event', onEvent);
      resolve({ at, ref: event.ref! });
    };
    sup.on('event', onEvent);
  });
}

/**
 * Waits until `hosts` shared workers are up and have loaded the child's module (a bystander is
 * spawned on the least-loaded one), so each fault hits a system at full strength: one worker death at a
 * time, as in production, not a pool still replacing the last dead worker. Bench-only: it reads
 * the system's host pool, an internal.
 */
async function fullStrength(system: System, hosts: number): Promise<void> {
  const pool = (system as unknown as { hostPool(): { hosts: Iterable<{ alive: boolean; mode: string; threadId: number }> } }).hostPool();
  const live = (): number => [...pool.hosts].filter((h) => h.alive && h.mode === 'shared' && h.threadId >= 0).length;
  for (;;) {
    const before = live();
    await system.spawn(Idle);
    if (before >= hosts) return;
    if (live() < hosts) await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export interface RestartOptions {
  /** restarts measured (default: 2000 in-host, 9 worker-death) */
  samples?: number;
  /** pino level of the system logger, writing to a null sink (default 'info': every record built) */
  logLevel?: string;
  /** unmeasured restarts first (default: 2000 in-host, 1 worker-death) */
  warmup?: number;
}

/**
 * Median restart latency in µs: crash → `restarted` event (`in-host`), or worker terminated →
 * `restarted` event (`worker-death`).
 */
export async function measureRestart(kind: 'in-host' | 'worker-death', options: RestartOptions = {}): Promise<number> {
  const inHost = kind === 'in-host';
  const samples = options.samples ?? (inHost ? 2000 : 9);
  const system = await createSystem({ hosts: 2, logger: nullLogger(options.logLevel ?? 'info') });
  // Idle workers are unref'd: keep the process up while a replacement worker boots.
  const keepAlive = setInterval(() => {}, 1000);
  try {
    // a running system: every shared worker is up before the first fault
    if (!inHost) await Promise.all([0, 1].map(() => system.spawn(Idle)));
    const sup = await system.supervise({
      strategy: 'one_for_one',
      intensity: 1_000_000,
      period: 1000,
      children: [{ id: 'child', start: Idle, placement: inHost ? 'main' : 'shared' }],
    });
    const [row] = await sup.whichChildren();
    let ref = row!.pid as ActorRef;
    const error = new Error('bench crash');
    const times: number[] = [];
    const warmup = options.warmup ?? (inHost ? 2000 : 1);
    for (let i = 0; i < samples + warmup; i++) {
      if (!inHost) await fullStrength(system, 2);
      const restarted = nextRestart(sup);
      const t0 = performance.now();
      if (inHost) await crash(ref, error);
      else await killHost(ref);
      const { at, ref: next } = await restarted;
      if (i >= warmup) times.push((at - t0) * 1000);
      ref = next;
    }
    await sup.stop();
    return median(times);
  } finally {
    clearInterval(keepAlive);
    await system.shutdown();
  }
}

/** Prints both measurements (run as a script). */
async function main(): Promise<void> {
  for (const logLevel of ['silent', 'warn', 'info']) {
    const us = await measureRestart('in-host', { logLevel });
    console.log(`restart in host            (logger ${logLevel.padEnd(6)}): ${us.toFixed(1)} µs median`);
  }
  const us = await measureRestart('worker-death', { logLevel: 'warn' });
  console.log(`restart after worker death (logger warn  ): ${(us / 1000).toFixed(1)} ms median`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
