/**
 * The lock manager: one actor in main per system (named troupe.lock-manager), the slow path of
 * every synchronisation primitive (DESIGN §4.4). Fast paths live in shared memory (protocol.ts);
 * here live the waiter queues (FIFO), timeouts, condition variables, barriers, and robustness:
 * every caller gets a token and is monitored, and when it dies its locks pass to the next waiter
 * flagged `abandoned` (a WARNING through the multiprocessing logger), its semaphore permits
 * return, its waits end, and a barrier it waited on breaks. Its extension starts it and tells it
 * when a host ends (that host's own code is a caller too).
 */
import type { Logger } from 'pino';
import { writeRecords } from '../log-sink/destination.js';
import { sharedLogConfig } from '../log-sink/sink.js';
import { defineActor } from '../../src/define.js';
import { NoProcError, RuntimeError } from '../../src/errors.js';
import { defineExtension, type SystemExtension } from '../../src/extension.js';
import type { Host } from '../../src/hosts/host.js';
import type { SystemImpl } from '../../src/system/system.js';
import type { ActorContext, ActorRef } from '../../src/types.js';
import { Barriers } from './barriers.js';
import { Conditions } from './conditions.js';
import { Events } from './events.js';
import { Holders, type Reply } from './holders.js';
import { Locks, type Warn } from './locks.js';
import { MANAGER_NAME, type ManagerMessage } from './protocol.js';
import { Semaphores } from './semaphores.js';

class ManagerState {
  readonly holders: Holders;
  readonly locks: Locks;
  readonly sems: Semaphores;
  readonly events: Events;
  readonly conds: Conditions;
  readonly barriers: Barriers;

  constructor(ctx: ActorContext, labelOf: (id: string) => string | undefined, log: Logger) {
    // Python's robust-lock warnings: `[WARNING/MainProcess] ...` with logToStderr, pino JSON otherwise
    const warn: Warn = (message, fields) => writeRecords([{ level: 30, process: 'MainProcess', message, fields }], sharedLogConfig(), log);
    this.holders = new Holders(ctx, labelOf);
    this.locks = new Locks(this.holders, warn);
    this.sems = new Semaphores(this.holders, warn);
    this.events = new Events(this.holders);
    this.conds = new Conditions(this.holders, this.locks);
    this.barriers = new Barriers(this.holders);
  }

  /** A caller died: its locks pass on, its permits return, its waits end, its barriers break. */
  died(key: string): void {
    const dead = this.holders.died(key);
    if (dead === undefined) return;
    const gone = (): Error => new NoProcError(`${dead.name} exited while waiting`);
    this.locks.died(dead.token, gone);
    this.sems.died(dead.token, dead.name, gone);
    this.events.died(dead.token, gone);
    this.conds.died(dead.token, gone);
    this.barriers.died(dead.token, dead.name);
  }

  /** The manager is stopping (system shutdown): no wait may hang, so every waiter is told. */
  stop(): void {
    const error = (): Error => new RuntimeError('the system shut down while this call was waiting on a lock, semaphore, event, condition or barrier');
    this.locks.stop(error);
    this.sems.stop(error);
    this.events.stop(error);
    this.conds.stop(error);
    this.barriers.stop(error);
  }
}

/** Answers an ask later (ignored for plain sends, which never wait). */
function replier(ctx: ActorContext): Reply {
  return ctx.deferReply!() ?? (() => {});
}

type S = ManagerState;

export const LockManager = defineActor<S, ManagerMessage>({
  name: 'LockManager',
  init: (ctx: ActorContext, system: SystemImpl) => new ManagerState(ctx, (id) => system.labelOf(id), system.log),
  receive: {
    token: (s, msg, ctx) => {
      ctx.reply(s.holders.token(msg.key));
      return s;
    },
    'lock.acquire': (s, msg, ctx) => {
      s.locks.acquire(msg, replier(ctx));
      return s;
    },
    'lock.release': (s, msg) => {
      s.locks.release(msg.id);
      return s;
    },
    'lock.known': (s, msg) => {
      s.locks.know(msg.lock, msg.weak);
      return s;
    },
    'sem.acquire': (s, msg, ctx) => {
      s.sems.acquire(msg, replier(ctx));
      return s;
    },
    'sem.release': (s, msg) => {
      s.sems.release(msg);
      return s;
    },
    'event.wait': (s, msg, ctx) => {
      s.events.wait(msg, replier(ctx));
      return s;
    },
    'event.set': (s, msg) => {
      s.events.set(msg.id);
      return s;
    },
    'cond.wait': (s, msg, ctx) => {
      s.conds.wait(msg, replier(ctx));
      return s;
    },
    'cond.notify': (s, msg) => {
      s.conds.notify(msg.id, msg.n);
      return s;
    },
    'barrier.wait': (s, msg, ctx) => {
      s.barriers.wait(msg, replier(ctx));
      return s;
    },
    'barrier.actionDone': (s, msg) => {
      s.barriers.actionDone(msg.id, msg.ok);
      return s;
    },
    'barrier.abort': (s, msg) => {
      s.barriers.control(msg);
      return s;
    },
    'barrier.reset': (s, msg) => {
      s.barriers.control(msg);
      return s;
    },
    hostDown: (s, msg) => {
      s.died(`host:${msg.site}`);
      return s;
    },
    DOWN: (s, msg) => {
      s.died(msg.ref.id);
      return s;
    },
  },
  onStop: (s) => s.stop(),
});

class LockManagers implements SystemExtension {
  /** the manager of this system (started in main with the extension) */
  readonly ref: ActorRef;
  readonly ops = {
    /** a worker's first primitive asks for its system's manager */
    manager: (): string => this.ref.id,
  };

  constructor(system: SystemImpl) {
    const id = system.placement.spawnInMain(LockManager, { name: MANAGER_NAME, args: [system] });
    this.ref = system.ref(id);
  }

  hostEnded(host: Host): void {
    this.ref.send({ type: 'hostDown', site: host.site } satisfies ManagerMessage);
  }
}

export const LOCK_MANAGER = defineExtension<LockManagers>({
  name: 'troupe.locks',
  create: (system) => new LockManagers(system),
});
