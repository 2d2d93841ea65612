/**
 * A host worker's busy wait for main's next message. Waking a sleeping thread costs the waker a
 * system call and the sleeper a trip through the scheduler: on a 2-core VM about 8 µs each of a
 * 30 µs raw round trip. So while a worker is in a quick exchange with main (a message came less
 * than a window after the worker last went idle), it does not sleep after handling it: for up to
 * a window it polls for the next one, and main's post finds it awake.
 *
 * It polls a counter main bumps after each post (a word in shared memory), not the port: polling
 * the port takes the port's lock, which the poster then waits for. What came is taken with
 * receiveMessageOnPort, in the port's order; the port's listener stays, and whatever the poll
 * does not take arrives through it as before. The poll runs from setImmediate, after microtasks
 * and I/O, so it only ever replaces sleep. The trade is an Erlang scheduler's busy wait (+sbwt):
 * CPU for latency, at most one window per exchange. At most one host fewer than there are cores
 * waits at a time, process-wide (spinSlots), so main and the hosts at work keep their cores.
 */
import os from 'node:os';
import { receiveMessageOnPort, type MessagePort } from 'node:worker_threads';

/** The default window (µs): a main thread's turnaround in an exchange fits in it with room to spare. */
export const DEFAULT_SPIN_US = 50;
/** A longer wait is no longer brief: past it, sleeping costs less than the CPU spent. */
export const MAX_SPIN_US = 1000;

/** How often the clock is read while polling (a shared-memory load costs far less). */
const CLOCK_EVERY = 64;

const SLOTS = Symbol.for('troupe.spinSlots');

/**
 * Main: the process's slots for hosts waiting awake, one per core but one (with one core, none:
 * a waiting host could only take the core from the thread that would post to it). A slot holds
 * the site of the host waiting in it, or 0. Kept behind a globalThis slot: every system and every
 * copy of troupe in the process shares the cores.
 */
export function spinSlots(): SharedArrayBuffer {
  const slots = globalThis as unknown as Record<symbol, SharedArrayBuffer | undefined>;
  return (slots[SLOTS] ??= new SharedArrayBuffer(4 * Math.max(0, os.availableParallelism() - 1)));
}

/** Main: a host ended; the slot it may hold is freed (a worker terminated while waiting cannot). */
export function freeSpinSlot(site: number): void {
  const slots = new Int32Array(spinSlots());
  for (let i = 0; i < slots.length; i++) Atomics.compareExchange(slots, i, site, 0);
}

/** `M`: what main posts on the port. */
export class BusyWait<M> {
  private readonly port: MessagePort;
  private readonly posts: Int32Array;
  private readonly index: number;
  private readonly windowMs: number;
  private readonly handle: (message: M) => void;
  private readonly slots: Int32Array;
  private readonly site: number;
  /** the post count when this worker last took what was posted */
  private seen = 0;
  /** when this worker last had nothing left to do (performance.now()) */
  private idleSince = -Infinity;
  private scheduled = false;
  private stopped = false;

  /**
   * `posts[index]` is bumped by main after each post; `windowUs` 0 turns the wait off; `slots`
   * (spinSlots) are claimed with this host's `site` (not 0) while it waits.
   */
  constructor(port: MessagePort, posts: Int32Array, index: number, windowUs: number, slots: SharedArrayBuffer, site: number, handle: (message: M) => void) {
    this.port = port;
    this.posts = posts;
    this.index = index;
    this.windowMs = windowUs / 1000;
    this.slots = new Int32Array(slots);
    this.site = site;
    this.handle = handle;
  }

  /** The port's listener got `message`: handles it, then waits for the next if the exchange is quick. */
  received(message: M): void {
    if (this.windowMs <= 0) return this.handle(message);
    const quick = performance.now() - this.idleSince < this.windowMs;
    this.seen = Atomics.load(this.posts, this.index);
    this.handle(message);
    this.idleSince = performance.now();
    if (quick) this.schedule();
  }

  /** An immediate is queued for the poll (a resource of the host's own, not of a task it runs). */
  get waiting(): boolean {
    return this.scheduled;
  }

  stop(): void {
    this.stopped = true;
  }

  private schedule(): void {
    if (this.scheduled || this.stopped) return;
    this.scheduled = true;
    setImmediate(this.poll);
  }

  private readonly poll = (): void => {
    this.scheduled = false;
    if (this.stopped) return;
    const slot = this.claimSlot();
    if (slot < 0) {
      // as many hosts as there are cores but one wait already: sleep
      this.idleSince = performance.now();
      return;
    }
    const { posts, index } = this;
    const until = performance.now() + this.windowMs;
    let polls = 0;
    let came = true;
    while (Atomics.load(posts, index) === this.seen) {
      if (++polls % CLOCK_EVERY === 0 && performance.now() >= until) {
        came = false;
        break;
      }
    }
    Atomics.compareExchange(this.slots, slot, this.site, 0);
    if (!came) {
      // nothing came: sleep until the listener hears of the next message
      this.idleSince = performance.now();
      return;
    }
    this.seen = Atomics.load(posts, index);
    // (the listener may have taken it already, with the message before it: then nothing is here)
    for (let got = receiveMessageOnPort(this.port); got !== undefined; got = receiveMessageOnPort(this.port)) this.handle(got.message as M);
    this.idleSince = performance.now();
    this.schedule();
  };

  private claimSlot(): number {
    const slots = this.slots;
    for (let i = 0; i < slots.length; i++) if (Atomics.compareExchange(slots, i, 0, this.site) === 0) return i;
    return -1;
  }
}
