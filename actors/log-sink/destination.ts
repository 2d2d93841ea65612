/**
 * Where multiprocessing records become lines: ONE pino destination on stderr for the whole process
 * (sonic-boom, async), written whole, flushed at system shutdown and synchronously at exit — so
 * lines from many processes never interleave and none that reached main is lost. Without
 * logToStderr, records go to the system's pino logger as JSON instead.
 */
import pino, { type Logger } from 'pino';
import { CONFIG_LEVEL, CONFIG_STDERR, DEFAULT_LEVEL, LEVEL_NAMES, type LogConfig, type LogRecord } from './protocol.js';

/** `[LEVEL/ProcessName] message`, Python's log_to_stderr format. */
export function formatRecord(record: LogRecord): string {
  return `[${LEVEL_NAMES[record.level] ?? `Level ${record.level}`}/${record.process}] ${record.message}\n`;
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
    if (record.ownLevel !== 1 && record.level < level) continue;
    if (stderr || record.stderr === 1) {
      dest ??= destination();
      dest.write(formatRecord(record));
    } else {
      const method = PINO_LEVELS.find(([min]) => record.level >= min)![1];
      fallback[method]({ ...record.fields, process: record.process, levelName: LEVEL_NAMES[record.level] ?? `Level ${record.level}` }, record.message);
    }
  }
}
