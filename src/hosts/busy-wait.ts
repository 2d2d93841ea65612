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
 * CPU for latency, at most one window per exchange. A host waits only while main's governor
 * (spin-governor.ts) sees a core to spare, and in one of its slots (one host fewer than there are
 * cores waits at a time, process-wide), so main and the threads at work keep their cores.
 */
import { receiveMessageOnPort, type MessagePort } from 'node:worker_threads';

/** The process's spin words (spin-governor.ts): whether a core is spare, µs spent waiting, then the slots. */
export const ALLOWED = 0;
export const SPENT = 1;
export const FIRST_SLOT = 2;

/** The default window (µs): a main thread's turnaround in an exchange fits in it with room to spare. */
export const DEFAULT_SPIN_US = 50;
/** A longer wait is no longer brief: past it, sleeping costs less than the CPU spent. */
export const MAX_SPIN_US = 1000;

/** How often the clock is read while polling (a shared-memory load costs far less). */
const CLOCK_EVERY = 64;

/** `M`: what main posts on the port. */
export class BusyWait<M> {
  private readonly port: MessagePort;
  private readonly posts: Int32Array;
  private readonly index: number;
  private readonly windowMs: number;
  private readonly handle: (message: M) => void;
  private readonly words: Int32Array;
  private readonly site: number;
  private readonly expecting: () => boolean;
  /** the post count when this worker last took what was posted */
  private seen = 0;
  /** when this worker last had nothing left to do (performance.now()) */
  private idleSince = -Infinity;
  private scheduled = false;
  private stopped = false;

  /**
   * `posts[index]` is bumped by main after each post; `windowUs` 0 turns the wait off; a slot of
   * the spin words (spinWords) is claimed with this host's `site` (not 0) while it waits;
   * `expecting()` says whether the host has work that may be waiting on main (an exclusive host
   * between tasks has none: the next task is no quick answer).
   */
  constructor(port: MessagePort, posts: Int32Array, index: number, windowUs: number, words: SharedArrayBuffer, site: number, expecting: () => boolean, handle: (message: M) => void) {
    this.port = port;
    this.posts = posts;
    this.index = index;
    this.windowMs = windowUs / 1000;
    this.words = new Int32Array(words);
    this.site = site;
    this.expecting = expecting;
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
    // nothing here waits on main, no core to spare, or as many hosts as there are cores but one
    // wait already: sleep
    if (!this.expecting() || Atomics.load(this.words, ALLOWED) === 0) return;
    const slot = this.claimSlot();
    if (slot < 0) return;
    const { posts, index } = this;
    const from = performance.now();
    const until = from + this.windowMs;
    let polls = 0;
    let came = true;
    while (Atomics.load(posts, index) === this.seen) {
      if (++polls % CLOCK_EVERY === 0 && performance.now() >= until) {
        came = false;
        break;
      }
    }
    Atomics.compareExchange(this.words, slot, this.site, 0);
    Atomics.add(this.words, SPENT, Math.round((performance.now() - from) * 1000));
    // Nothing came: sleep until the listener hears of the next message. That message is measured
    // from when this host went idle, before the wait, so it does not count as quick: a host
    // whose exchange got slower than a window stops waiting instead of failing every other time.
    if (!came) return;
    this.seen = Atomics.load(posts, index);
    // (the listener may have taken it already, with the message before it: then nothing is here)
    for (let got = receiveMessageOnPort(this.port); got !== undefined; got = receiveMessageOnPort(this.port)) this.handle(got.message as M);
    this.idleSince = performance.now();
    this.schedule();
  };

  private claimSlot(): number {
    const words = this.words;
    for (let i = FIRST_SLOT; i < words.length; i++) if (Atomics.compareExchange(words, i, 0, this.site) === 0) return i;
    return -1;
  }
}
