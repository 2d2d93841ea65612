/**
 * The log sink: where the multiprocessing logger's records from every thread become lines. One
 * sink actor per system, in main, hears its workers' record batches and hands workers the shared
 * logger settings; every line, from main or a worker, goes through ONE pino destination on stderr
 * (sonic-boom, async), written whole, flushed at system shutdown and synchronously at exit — so
 * lines from many processes never interleave and none that reached main is lost.
 */
import pino from 'pino';
import type { Logger } from 'pino';
import { defineActor } from '../src/define.js';
import type { System } from '../src/types.js';

/** Python's level numbers and names (multiprocessing/util.py adds SUBDEBUG and SUBWARNING). */
export const LEVEL_NAMES: Readonly<Record<number, string>> = {
  5: 'SUBDEBUG',
  10: 'DEBUG',
  20: 'INFO',
  25: 'SUBWARNING',
  30: 'WARNING',
  40: 'ERROR',
  50: 'CRITICAL',
};

/** Python's default effective level (the root logger's WARNING) when the level is NOTSET. */
export const DEFAULT_LEVEL = 30;

/** One log record in flight: level, process name, formatted message. */
export interface LogRecord {
  l: number;
  n: string;
  m: string;
  /** the sending process decided the level itself (its own setLevel) */
  f?: 1;
  /** the sending process called logToStderr itself */
  s?: 1;
}

/**
 * The logger settings every thread shares, in a SharedArrayBuffer: [0] the level (0 = NOTSET),
 * [1] 1 once logToStderr() added the stderr handler in main.
 */
export type LogConfig = Int32Array;
export const CONFIG_LEVEL = 0;
export const CONFIG_STDERR = 1;

/** The well-known name workers address the sink by. */
export const SINK_NAME = 'troupe.log-sink';

/** `[LEVEL/ProcessName] message`, Python's log_to_stderr format. */
export function formatRecord(record: LogRecord): string {
  return `[${LEVEL_NAMES[record.l] ?? `Level ${record.l}`}/${record.n}] ${record.m}\n`;
}

// Writes no bigger than PIPE_BUF are atomic on pipes: even a foreign writer to fd 2 (an uncaught
// error printed by Node) cannot split one of our lines.
const MAX_WRITE = 4096;
const DEST = Symbol.for('troupe.logDestination');
type Destination = ReturnType<typeof pino.destination> & { _writing?: boolean; _len?: number };
type Slots = Record<symbol, Destination | undefined>;

/** The process-wide stderr destination, opened on first use (shared by every troupe copy). */
function destination(): Destination {
  const slots = globalThis as unknown as Slots;
  let dest = slots[DEST];
  if (!dest) {
    dest = pino.destination({ dest: 2, sync: false, maxWrite: MAX_WRITE }) as Destination;
    const opened = dest;
    slots[DEST] = opened;
    opened.on('error', () => {});
    process.on('exit', () => {
      try {
        opened.flushSync();
      } catch {
        // stderr is gone: nothing left to write to
      }
    });
  }
  return dest;
}

/** Resolves once every line written so far has reached fd 2. */
export function flushLines(): Promise<void> {
  const dest = (globalThis as unknown as Slots)[DEST];
  // sonic-boom's flush(cb) does not wait with minLength 0; its drain event does.
  if (!dest || (!dest._writing && !dest._len)) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      dest.off('drain', done);
      dest.off('error', done);
      resolve();
    };
    dest.on('drain', done);
    dest.on('error', done);
  });
}

const PINO_LEVELS: ReadonlyArray<[number, 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace']> = [
  [50, 'fatal'],
  [40, 'error'],
  [25, 'warn'],
  [20, 'info'],
  [10, 'debug'],
  [0, 'trace'],
];

/**
 * Writes records that pass the shared level: as Python lines on stderr when logToStderr() is on
 * (in main or in the sending process), else as pino JSON through `fallback` (the system's logger).
 */
export function writeRecords(records: readonly LogRecord[], config: LogConfig, fallback: Logger): void {
  const level = Atomics.load(config, CONFIG_LEVEL) || DEFAULT_LEVEL;
  const stderr = Atomics.load(config, CONFIG_STDERR) === 1;
  let dest: Destination | undefined;
  for (const record of records) {
    if (record.f !== 1 && record.l < level) continue;
    if (stderr || record.s === 1) {
      dest ??= destination();
      dest.write(formatRecord(record));
    } else {
      const method = PINO_LEVELS.find(([min]) => record.l >= min)![1];
      fallback[method]({ process: record.n, levelName: LEVEL_NAMES[record.l] ?? `Level ${record.l}` }, record.m);
    }
  }
}

interface SinkState {
  config: LogConfig;
}

/**
 * The sink actor (placement 'main', one per system, named {@link SINK_NAME}). Workers' record
 * batches arrive as the system's 'workerLog' events (one postMessage per batch) and are written in
 * arrival order; `records` messages are the same for senders that prefer the mailbox.
 */
export const LogSink = defineActor({
  name: 'LogSink',
  init: (ctx, buffer: SharedArrayBuffer) => {
    const config = new Int32Array(buffer);
    listen(ctx.system as System, config);
    return { config } satisfies SinkState;
  },
  receive: {
    records: (state: SinkState, msg: { b: LogRecord[] }, ctx) => {
      writeRecords(msg.b, state.config, systemLog(ctx.system as System));
      return state;
    },
    /** a worker's first record asks for the shared settings, to filter levels where it logs */
    config: (state: SinkState, _msg, ctx) => {
      ctx.reply(state.config);
      return state;
    },
    flush: async (state: SinkState, _msg, ctx) => {
      await flushLines();
      ctx.reply(true);
      return state;
    },
  },
  onStop: () => flushLines(),
});

const listening = new WeakSet<object>();

/**
 * Writes the system's worker log batches: multiprocessing records through {@link writeRecords},
 * and the kernel's pino JSON lines (strings) to the system's own logger stream. Stays attached
 * after the sink stops, so records from workers ending during shutdown are still written.
 */
function listen(system: System, config: LogConfig): void {
  if (listening.has(system)) return;
  listening.add(system);
  const log = systemLog(system);
  const stream = (log as unknown as Record<symbol, { write(line: string): void } | undefined>)[pino.symbols.streamSym];
  system.on('workerLog', (batch: unknown[]) => {
    let records: LogRecord[] | undefined;
    for (const item of batch) {
      if (typeof item === 'string') stream?.write(item);
      else (records ??= []).push(item as LogRecord);
    }
    if (records) writeRecords(records, config, log);
  });
}

function systemLog(system: System): Logger {
  return (system as unknown as { log: Logger }).log;
}
