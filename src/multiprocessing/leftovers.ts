/**
 * What a Process target left running when it returned (DESIGN §4.1): ref'd work (timers, sockets,
 * servers) keeps the process alive, as Node does for a script and Python for non-daemon threads;
 * unref'd work is daemon work and is dropped when the process ends. Since the worker may run the
 * next Process, nothing of the finished one may run on: timers it unref'd are cleared, and a
 * worker where other handles were unref'd cannot be cleaned and is retired instead of reused.
 *
 * Ref'd work is what `process.getActiveResourcesInfo()` shows beyond what the worker had before
 * the target ran. Unref'd work is seen where it becomes unref'd: `unref()` of timers and handles
 * is observed while a target runs (async_hooks would see it too, but slows every promise ~9x).
 */
import { Socket, Server } from 'node:net';
import { Socket as DatagramSocket } from 'node:dgram';
import { ChildProcess } from 'node:child_process';
import { currentHost } from '../hosts/current.js';

/** How often a finished target's ref'd work is looked at again (ms). */
const POLL_MS = 5;

type Unrefable = { unref(): unknown };

/** The prototypes whose `unref()` marks daemon work. */
function prototypes(): Array<{ proto: Unrefable; timer: 'Timeout' | 'Immediate' | undefined }> {
  const timeout = setTimeout(() => {}, 0);
  clearTimeout(timeout);
  const immediate = setImmediate(() => {});
  clearImmediate(immediate);
  return [
    { proto: Object.getPrototypeOf(timeout) as Unrefable, timer: 'Timeout' },
    { proto: Object.getPrototypeOf(immediate) as Unrefable, timer: 'Immediate' },
    { proto: Socket.prototype, timer: undefined },
    { proto: Server.prototype, timer: undefined },
    { proto: DatagramSocket.prototype, timer: undefined },
    { proto: ChildProcess.prototype, timer: undefined },
  ];
}

/** The worker's live resources by kind, less the host's own (its busy wait's immediate). */
function counts(): Map<string, number> {
  const out = new Map<string, number>();
  for (const kind of process.getActiveResourcesInfo()) out.set(kind, (out.get(kind) ?? 0) + 1);
  const own = currentHost()?.ownImmediates ?? 0;
  if (own > 0) out.set('Immediate', (out.get('Immediate') ?? 0) - own);
  return out;
}

export class Leftovers {
  private baseline = new Map<string, number>();
  private tracking = false;
  /** unref'd timers and immediates of the running target */
  private readonly timers = new Set<NodeJS.Timeout | NodeJS.Immediate>();
  /** another kind of handle was unref'd: the worker cannot be cleaned */
  private dirty = false;

  constructor() {
    for (const { proto, timer } of prototypes()) {
      const unref = proto.unref;
      const leftovers = this;
      proto.unref = function (this: Unrefable, ...args: unknown[]) {
        if (leftovers.tracking) {
          if (timer) leftovers.timers.add(this as unknown as NodeJS.Timeout);
          else leftovers.dirty = true;
        }
        return (unref as (...a: unknown[]) => unknown).apply(this, args);
      } as typeof proto.unref;
    }
  }

  /** A target starts: what is alive now is the worker's own. */
  start(): void {
    this.baseline = counts();
    this.timers.clear();
    this.dirty = false;
    this.tracking = true;
  }

  /** Resolves once the target's ref'd work is done (checked at once, then every few ms). */
  async settled(): Promise<void> {
    while (this.pending()) await new Promise<void>((resolve) => setTimeout(resolve, POLL_MS).unref());
  }

  private pending(): boolean {
    for (const [kind, n] of counts()) if (n > (this.baseline.get(kind) ?? 0)) return true;
    return false;
  }

  /**
   * Drops what is left (unref'd: daemon work). Returns false when something could not be dropped
   * (an unref'd handle other than a timer): the worker must then not be reused.
   */
  finish(): boolean {
    this.tracking = false;
    for (const timer of this.timers) {
      clearTimeout(timer as NodeJS.Timeout);
      clearImmediate(timer as NodeJS.Immediate);
    }
    this.timers.clear();
    return !this.dirty;
  }
}
