/**
 * Python's multiprocessing logging (DESIGN §4.6): `getLogger()`, `logToStderr(level?)`, the level
 * constants, and `mpLog` for the runtime's own lifecycle records. In main a record is written at
 * once through the log sink's single destination; in a worker records are batched to main over the
 * host's control port (one postMessage per tick, flushed before the worker ends), so lines from
 * many processes never interleave. The level lives in shared memory: workers filter where they log.
 */
import { format } from 'node:util';
import { threadId } from 'node:worker_threads';
import {
  CONFIG_LEVEL,
  CONFIG_STDERR,
  DEFAULT_LEVEL,
  flushLines,
  LEVEL_NAMES,
  LogSink,
  SINK_NAME,
  writeRecords,
  type LogRecord,
} from '../../actors/log-sink.js';
import { mainSystem } from '../default-system.js';
import { ValueError } from '../errors.js';
import { currentHost, type HostRuntime } from '../hosts/host-worker.js';
import type { SystemImpl } from '../system.js';
import { setLogSinkStarter } from './process.js';

/** Python's logging levels (SUBDEBUG and SUBWARNING are multiprocessing's own). */
export const SUBDEBUG = 5;
export const DEBUG = 10;
export const INFO = 20;
export const SUBWARNING = 25;
export const WARNING = 30;
export const ERROR = 40;
export const CRITICAL = 50;

/** The runtime's logger, with Python's methods; messages are formatted with `util.format`. */
export interface MultiprocessingLogger {
  subdebug(msg: string, ...args: unknown[]): void;
  debug(msg: string, ...args: unknown[]): void;
  info(msg: string, ...args: unknown[]): void;
  subwarning(msg: string, ...args: unknown[]): void;
  warning(msg: string, ...args: unknown[]): void;
  error(msg: string, ...args: unknown[]): void;
  critical(msg: string, ...args: unknown[]): void;
  log(level: number, msg: string, ...args: unknown[]): void;
  setLevel(level: number): void;
  getEffectiveLevel(): number;
}

/** What a worker process set for itself (Python: the child's own setLevel / log_to_stderr). */
interface LocalSettings {
  level?: number;
  stderr?: boolean;
}

/** Per-thread state, behind a globalThis slot so every copy of troupe in the thread shares it. */
interface LoggingState {
  logger: Logger;
  batch: LogRecord[];
  scheduled: boolean;
  asked: WeakSet<HostRuntime>;
  local: WeakMap<HostRuntime, LocalSettings>;
}

const SLOT = Symbol.for('troupe.mpLogging');
const FLUSH_SLOT = Symbol.for('troupe.flushWorkerLogs');
/** [level, stderr] in shared memory: created in main; a worker gets it from the sink or its pool */
const CONFIG_SLOT = Symbol.for('troupe.logConfig');
/** a pool worker's name, set on its host by pool-worker.ts */
const WORKER_NAME = Symbol.for('troupe.workerName');
/** a worker posts at once when this many records wait (bounds memory and latency) */
const MAX_BATCH = 256;

function state(): LoggingState {
  const slots = globalThis as unknown as Record<symbol, LoggingState | undefined>;
  let s = slots[SLOT];
  if (!s) {
    s = { logger: undefined as unknown as Logger, batch: [], scheduled: false, asked: new WeakSet(), local: new WeakMap() };
    s.logger = new Logger();
    slots[SLOT] = s;
    (globalThis as unknown as Record<symbol, () => void>)[FLUSH_SLOT] = flushWorkerLogs;
  }
  return s;
}

/** Internal: the shared [level, stderr] settings; undefined in a worker that has not got them yet. */
export function logConfig(): Int32Array | undefined {
  const slots = globalThis as unknown as Record<symbol, Int32Array | undefined>;
  // the thread that owns systems creates them; a host worker receives them from main
  if (!currentHost()) slots[CONFIG_SLOT] ??= new Int32Array(new SharedArrayBuffer(8));
  return slots[CONFIG_SLOT];
}

function checkLevel(level: unknown, what: string): number {
  if (typeof level === 'string') {
    const named = Object.entries(LEVEL_NAMES).find(([, name]) => name === level.toUpperCase());
    if (named) return Number(named[0]);
  }
  if (typeof level !== 'number' || !Number.isInteger(level) || level < 0) {
    throw new ValueError(`${what} needs a level number such as INFO (20) or DEBUG (10), got ${JSON.stringify(level) ?? String(level)}`);
  }
  return level;
}

class Logger implements MultiprocessingLogger {
  subdebug(msg: string, ...args: unknown[]): void {
    emit(SUBDEBUG, msg, args, undefined);
  }
  debug(msg: string, ...args: unknown[]): void {
    emit(DEBUG, msg, args, undefined);
  }
  info(msg: string, ...args: unknown[]): void {
    emit(INFO, msg, args, undefined);
  }
  subwarning(msg: string, ...args: unknown[]): void {
    emit(SUBWARNING, msg, args, undefined);
  }
  warning(msg: string, ...args: unknown[]): void {
    emit(WARNING, msg, args, undefined);
  }
  error(msg: string, ...args: unknown[]): void {
    emit(ERROR, msg, args, undefined);
  }
  critical(msg: string, ...args: unknown[]): void {
    emit(CRITICAL, msg, args, undefined);
  }
  log(level: number, msg: string, ...args: unknown[]): void {
    emit(checkLevel(level, 'log(level, msg)'), msg, args, undefined);
  }
  /** In main: the level every process inherits. In a worker: that process's own level. */
  setLevel(level: number): void {
    const value = checkLevel(level, 'setLevel(level)');
    const host = currentHost();
    if (host) localSettings(host).level = value;
    else Atomics.store(logConfig()!, CONFIG_LEVEL, value);
  }
  getEffectiveLevel(): number {
    const host = currentHost();
    const own = host ? state().local.get(host)?.level : undefined;
    if (own) return own;
    const config = logConfig();
    return (config && Atomics.load(config, CONFIG_LEVEL)) || DEFAULT_LEVEL;
  }
}

function localSettings(host: HostRuntime): LocalSettings {
  const local = state().local;
  let settings = local.get(host);
  if (!settings) local.set(host, (settings = {}));
  return settings;
}

/**
 * The multiprocessing logger, without adding a handler: records at WARNING and above (or the
 * level set with `setLevel`) go to the runtime's pino logger as JSON.
 *
 * @example getLogger().warning('disk %s is %d%% full', '/dev/sda1', 93);
 */
export function getLogger(): MultiprocessingLogger {
  if (!currentHost()) void ensureLogSink(mainSystem());
  return state().logger;
}

/**
 * The multiprocessing logger, printing `[LEVEL/ProcessName] message` lines to stderr from every
 * process (Python's `log_to_stderr`). `level` sets the logger's level when given.
 *
 * @example const logger = logToStderr(INFO); logger.warning('Error has occurred');
 */
export function logToStderr(level?: number): MultiprocessingLogger {
  const value = level === undefined || level === null ? undefined : checkLevel(level, 'logToStderr(level)');
  const host = currentHost();
  if (host) {
    const settings = localSettings(host);
    settings.stderr = true;
    if (value !== undefined) settings.level = value;
  } else {
    const config = logConfig()!;
    Atomics.store(config, CONFIG_STDERR, 1);
    if (value !== undefined) Atomics.store(config, CONFIG_LEVEL, value);
    void ensureLogSink(mainSystem());
  }
  return state().logger;
}

/**
 * Internal: the runtime's own records (process lifecycle), optionally on behalf of a named
 * process. In a worker the record is posted at once, since the worker may end right after.
 */
export function mpLog(level: number, msg: string, processName?: string): void {
  emit(level, msg, [], processName);
  if (currentHost()) flushWorkerLogs();
}
setLogSinkStarter(ensureLogSink);

/** Internal: posts a worker's pending records to main now (call before the worker ends). */
export function flushWorkerLogs(): void {
  const s = state();
  s.scheduled = false;
  if (s.batch.length === 0) return;
  const batch = s.batch;
  s.batch = [];
  const host = currentHost();
  if (host) host.post({ t: 'log', b: batch });
  else for (const record of batch) process.stderr.write(`[${LEVEL_NAMES[record.l] ?? `Level ${record.l}`}/${record.n}] ${record.m}\n`);
}

const sinks = new WeakMap<SystemImpl, Promise<void>>();

/**
 * Internal: starts the system's log sink (once), which writes the records its workers send.
 * The facade calls it before it puts work on workers (Pool, Process).
 */
export function ensureLogSink(system: SystemImpl): Promise<void> {
  let ready = sinks.get(system);
  if (!ready) {
    if (system.closed) return Promise.resolve();
    ready = system.spawn(LogSink, { placement: 'main', name: SINK_NAME, args: [logConfig()!.buffer] }).then(
      () => {},
      (error: unknown) => {
        if ((error as Error)?.name !== 'NameTakenError') system.log.error({ err: error }, 'the log sink did not start; worker log records are dropped');
      },
    );
    system.onShutdown(flushLines);
    sinks.set(system, ready);
  }
  return ready;
}

function emit(level: number, msg: string, args: unknown[], name: string | undefined): void {
  const s = state();
  const host = currentHost();
  const local = host ? s.local.get(host) : undefined;
  const config = logConfig();
  const threshold = local?.level ?? (config ? Atomics.load(config, CONFIG_LEVEL) || DEFAULT_LEVEL : 0);
  if (level < threshold) return;
  const record: LogRecord = { l: level, n: name ?? processName(host), m: args.length > 0 ? format(msg, ...args) : String(msg) };
  if (!host) return writeRecords([record], config!, mainSystem().log);
  if (local?.level !== undefined) record.f = 1;
  if (local?.stderr) record.s = 1;
  s.batch.push(record);
  if (s.batch.length >= MAX_BATCH) flushWorkerLogs();
  else if (!s.scheduled) {
    s.scheduled = true;
    queueMicrotask(flushWorkerLogs);
  }
  if (!config && !s.asked.has(host)) askConfig(host, s);
}

/** Fetches the shared settings once per host, so later records are filtered where they are made. */
function askConfig(host: HostRuntime, s: LoggingState): void {
  s.asked.add(host);
  host
    .ref(`name:${SINK_NAME}`, SINK_NAME)
    .ask<Int32Array>({ type: 'config' }, { timeout: Infinity })
    .then((config) => {
      (globalThis as unknown as Record<symbol, Int32Array | undefined>)[CONFIG_SLOT] ??= config;
    })
    .catch(() => {});
}

/** Python's processName: the Process's name, the pool worker's, the actor's label, or the thread. */
function processName(host: HostRuntime | undefined): string {
  if (!host) {
    const system = mainSystem();
    const id = system.runtime.currentSender();
    return id === undefined ? 'MainProcess' : (system.labelOf(id) ?? id);
  }
  if (host.process) return host.process.name;
  const id = host.currentSender();
  const cell = id === undefined ? undefined : host.cells.get(id);
  if (cell) return cell.label;
  return ((host as unknown as Record<symbol, string | undefined>)[WORKER_NAME]) ?? `Thread-${threadId}`;
}
