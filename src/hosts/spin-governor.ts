/**
 * Main's side of the busy wait (busy-wait.ts): the process's spin words, and the governor that
 * lets hosts wait awake only while the machine has a core to spare. A waiting host is worth its
 * CPU only when it takes none from a thread with work: measured with another process busy on one
 * of 2 cores, waiting hosts made the Pipe round trip 1.6× → 2.1–2.4× of raw, where with idle
 * cores they made it 1.4× → 1.1×. So every GOVERN_MS, while a host pool exists, the governor
 * reads the CPUs' idle time (os.cpus()), counts the time hosts spent waiting as idle (it is
 * given up at once), and allows waiting while at least SPARE_CORES of a core went unused.
 */
import os from 'node:os';
import { ALLOWED, FIRST_SLOT, SPENT } from './busy-wait.js';

const GOVERN_MS = 250;
/** Waiting is allowed while this much of a core went unused (a waiting host needs one). */
const SPARE_CORES = 0.4;

interface CpuTimes {
  idle: number;
  total: number;
  cores: number;
}

interface Governor {
  readonly words: SharedArrayBuffer;
  readonly view: Int32Array;
  pools: number;
  timer: NodeJS.Timeout | undefined;
  last: CpuTimes;
}

const SLOT = Symbol.for('troupe.spinGovernor');

function cpuTimes(): CpuTimes {
  const cpus = os.cpus();
  let idle = 0;
  let total = 0;
  for (const { times } of cpus) {
    idle += times.idle;
    total += times.user + times.nice + times.sys + times.idle + times.irq;
  }
  return { idle, total, cores: cpus.length };
}

/**
 * The process's governor, behind a globalThis slot: every system and every copy of troupe in the
 * process shares the cores. Its words: [ALLOWED, SPENT, slots...], one slot per core but one
 * (with one core, none: a waiting host could only take the core from the thread that would post
 * to it); a slot holds the site of the host waiting in it, or 0.
 */
function governor(): Governor {
  const slots = globalThis as unknown as Record<symbol, Governor | undefined>;
  let governor = slots[SLOT];
  if (governor === undefined) {
    const words = new SharedArrayBuffer(4 * (FIRST_SLOT + Math.max(0, os.availableParallelism() - 1)));
    const view = new Int32Array(words);
    Atomics.store(view, ALLOWED, 1);
    governor = slots[SLOT] = { words, view, pools: 0, timer: undefined, last: cpuTimes() };
  }
  return governor;
}

/** The spin words hosts get in their task (busy-wait.ts). */
export function spinWords(): SharedArrayBuffer {
  return governor().words;
}

/** A host ended: the slot it may hold is freed (a worker terminated while waiting cannot). */
export function freeSpinSlot(site: number): void {
  const words = governor().view;
  for (let i = FIRST_SLOT; i < words.length; i++) Atomics.compareExchange(words, i, site, 0);
}

/** A host pool starts: the governor runs while any pool does. Returns the pool's release. */
export function governSpin(): () => void {
  const g = governor();
  if (g.pools++ === 0) {
    g.last = cpuTimes();
    g.timer = setInterval(() => govern(g), GOVERN_MS);
    g.timer.unref();
  }
  let released = false;
  return () => {
    if (released) return;
    released = true;
    if (--g.pools === 0) {
      clearInterval(g.timer);
      g.timer = undefined;
    }
  };
}

function govern(g: Governor): void {
  const now = cpuTimes();
  const total = now.total - g.last.total;
  if (total <= 0) return;
  const words = g.view;
  const spentMs = Atomics.exchange(words, SPENT, 0) / 1000;
  const spare = ((now.idle - g.last.idle + spentMs) / total) * now.cores;
  g.last = now;
  Atomics.store(words, ALLOWED, spare >= SPARE_CORES ? 1 : 0);
}
