/**
 * The log sink's protocol: a multiprocessing log record as it travels from any thread to main,
 * Python's level names, the shared settings every thread filters with, and the sink's messages.
 */

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

/** One log record in flight. */
export interface LogRecord {
  level: number;
  /** Python's processName */
  process: string;
  /** the formatted message */
  message: string;
  /** the sending process set its own level (its records are not filtered again in main) */
  ownLevel?: 1;
  /** the sending process called logToStderr itself */
  stderr?: 1;
  /** structured fields for the pino JSON form (e.g. the holder of an abandoned lock) */
  fields?: Record<string, unknown>;
}

/**
 * The logger settings every thread shares, in a SharedArrayBuffer: [CONFIG_LEVEL] the level
 * (0 = NOTSET), [CONFIG_STDERR] 1 once logToStderr() added the stderr handler in main.
 */
export type LogConfig = Int32Array;
export const CONFIG_LEVEL = 0;
export const CONFIG_STDERR = 1;
export const CONFIG_BYTES = 8;

/** The extension (and registered actor) name of the sink. */
export const SINK_NAME = 'troupe.log-sink';

/** What a host sends the sink's extension. */
export interface RecordBatch {
  records: LogRecord[];
}

/** The sink actor's messages. */
export type SinkMessage = { type: 'records'; records: LogRecord[] } | { type: 'flush' };
