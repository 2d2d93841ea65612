/**
 * Python's multiprocessing logging (DESIGN §4.6): `getLogger()`, `logToStderr(level?)`, the level
 * constants, and `mpLog` for the runtime's own lifecycle records. In main a record is written at
 * once through the log sink's single destination; in a worker each record goes to main as it is
 * made (in the worker's one FIFO, so it survives the worker's death), and main writes it whole, so
 * lines from many processes never interleave. The level lives in shared memory: workers filter
 * where they log.
 */
import { format } from 'node:util';
import { threadId } from 'node:worker_threads';
import { writeRecords } from '../../actors/log-sink/destination.js';
import { CONFIG_LEVEL, CONFIG_STDERR, DEFAULT_LEVEL, SINK_NAME, type LogRecord } from '../../actors/log-sink/protocol.js';
import { LOG_SINK, sharedLogConfig } from '../../actors/log-sink/sink.js';
import { mainSystem } from '../default-system.js';
import { ValueError } from '../errors.js';
import { currentHost } from '../hosts/current.js';
import type { HostRuntime } from '../hosts/host-runtime.js';
import { extensionCall } from '../kernel-call.js';
import { runningProcess } from './identity.js';
import { describe } from '../describe.js';

/** Python's logging levels (SUBDEBUG and SUBWARNING are multiprocessing's own). */
export const SUBDEBUG = 5;
export const DEBUG = 10;
export const INFO = 20;
export const SUBWARNING = 25;
export const WARNING = 30;
export const ERROR = 40;
export const CRITICAL = 50;

const LEVEL_BY_NAME: Record<string, number> = { SUBDEBUG, DEBUG, INFO, SUBWARNING, WARNING, ERROR, CRITICAL };

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
  /** the shared settings, in a worker once main sent them */
  config: Int32Array | undefined;
  asked: boolean;
  local: WeakMap<HostRuntime, LocalSettings>;
}

const SLOT = Symbol.for('troupe.mpLogging');

function state(): LoggingState {
  const slots = globalThis as unknown as Record<symbol, LoggingState | undefined>;
  return (slots[SLOT] ??= { logger: new Logger(), config: undefined, asked: false, local: new WeakMap() });
}

/** The shared [level, stderr] settings; undefined in a worker that has not got them yet. */
function logConfig(): Int32Array | undefined {
  if (!currentHost()) return sharedLogConfig();
  return state().config;
}

/** A worker adopts main's shared settings (sent with its Process or its first Pool batch). */
export function adoptLogConfig(buffer: SharedArrayBuffer | undefined): void {
  if (buffer && currentHost()) state().config ??= new Int32Array(buffer);
}

/** Main's shared settings, to send to a worker. */
export function logConfigBuffer(): SharedArrayBuffer | undefined {
  return logConfig()?.buffer as SharedArrayBuffer | undefined;
}

/** The level processes start with (lifecycle records are INFO). */
export function currentLogLevel(): number {
  const config = logConfig();
  return (config && Atomics.load(config, CONFIG_LEVEL)) || DEFAULT_LEVEL;
}

function checkLevel(level: unknown, what: string): number {
  if (typeof level === 'string' && LEVEL_BY_NAME[level.toUpperCase()] !== undefined) return LEVEL_BY_NAME[level.toUpperCase()]!;
  if (typeof level !== 'number' || !Number.isInteger(level) || level < 0) {
    throw new ValueError(`${what} needs a level number such as INFO (20) or DEBUG (10), got ${typeof level === 'string' ? JSON.stringify(level) : describe(level)}`);
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
    else Atomics.store(sharedLogConfig(), CONFIG_LEVEL, value);
  }
  getEffectiveLevel(): number {
    const host = currentHost();
    const own = host ? state().local.get(host)?.level : undefined;
    return own ?? currentLogLevel();
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
  if (!currentHost()) mainSystem().extension(LOG_SINK);
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
    const config = sharedLogConfig();
    Atomics.store(config, CONFIG_STDERR, 1);
    if (value !== undefined) Atomics.store(config, CONFIG_LEVEL, value);
    mainSystem().extension(LOG_SINK);
    installExitRecords();
  }
  return state().logger;
}

/**
 * The runtime's own records (process lifecycle, abandoned locks), optionally on behalf of a named
 * process.
 */
export function mpLog(level: number, msg: string, processName?: string): void {
  emit(level, msg, [], processName);
}

function emit(level: number, msg: string, args: unknown[], name: string | undefined): void {
  const s = state();
  const host = currentHost();
  const local = host ? s.local.get(host) : undefined;
  const config = logConfig();
  const threshold = local?.level ?? (config ? Atomics.load(config, CONFIG_LEVEL) || DEFAULT_LEVEL : 0);
  if (level < threshold) return;
  const record: LogRecord = { level, process: name ?? processName(host), message: args.length > 0 ? format(msg, ...args) : String(msg) };
  if (!host) {
    const system = mainSystem();
    system.extension(LOG_SINK);
    return writeRecords([record], config!, system.log);
  }
  if (local?.level !== undefined) record.ownLevel = 1;
  if (local?.stderr) record.stderr = 1;
  host.postExtension(SINK_NAME, { records: [record] });
  if (!config && !s.asked) askConfig(s);
}

/** Fetches the shared settings once per worker, so later records are filtered where they are made. */
function askConfig(s: LoggingState): void {
  s.asked = true;
  extensionCall(LOG_SINK, 'config', [])
    .then((buffer) => {
      s.config ??= new Int32Array(buffer as SharedArrayBuffer);
    })
    .catch(() => {
      s.asked = false;
    });
}

/** Python's processName: the Process's name, the pool worker's, the actor's label, or the thread. */
function processName(host: HostRuntime | undefined): string {
  const running = runningProcess();
  if (!host) {
    const system = mainSystem();
    const id = system.runtime.currentSender();
    return id === undefined ? 'MainProcess' : (system.labelOf(id) ?? id);
  }
  const id = host.currentSender();
  const cell = id === undefined ? undefined : host.cells.get(id);
  if (cell) return cell.label;
  return running?.name ?? `Thread-${threadId}`;
}

let exitRecords = false;
/**
 * Python's atexit hook in the main process: `process shutting down`, then `calling terminate()
 * for daemon X` for each daemon still running (they end with the main program) and `calling
 * join() for process X` for the others.
 */
function installExitRecords(): void {
  if (exitRecords) return;
  exitRecords = true;
  process.once('beforeExit', () => {
    const system = mainSystem();
    mpLog(INFO, 'process shutting down');
    mpLog(DEBUG, 'running all "atexit" finalizers with priority >= 0');
    const live = system.extensionByName('multiprocessing') as { processes?: { processes: Array<{ name: string; daemon: boolean }> } } | undefined;
    const running = live?.processes?.processes ?? [];
    for (const proc of running) if (proc.daemon) mpLog(INFO, `calling terminate() for daemon ${proc.name}`);
    for (const proc of running) if (!proc.daemon) mpLog(INFO, `calling join() for process ${proc.name}`);
    mpLog(DEBUG, 'running the remaining "atexit" finalizers');
  });
}
