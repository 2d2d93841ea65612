/**
 * `troupe/multiprocessing`: Python's multiprocessing in TypeScript (DESIGN §4). One module per
 * concept, as in CPython's Lib/multiprocessing; this file only re-exports.
 */
export {
  ValueError,
  RuntimeError,
  OSError,
  EOFError,
  Empty,
  Full,
  ShutDown,
  TimeoutError,
  BrokenBarrierError,
  BufferTooShort,
  SerializationError,
  ClosureError,
  MaybeEncodingError,
  BrokenWorkerError,
  AbandonedLockError,
} from '../errors.js';
export { Process, currentProcess, parentProcess, activeChildren, cpuCount, exit, type ProcessOptions } from './process.js';
export {
  SUBDEBUG,
  DEBUG,
  INFO,
  SUBWARNING,
  WARNING,
  ERROR,
  CRITICAL,
  getLogger,
  logToStderr,
  type MultiprocessingLogger,
} from './logging.js';
export { Pool, AsyncResult, type PoolOptions } from './pool.js';
export { Queue, JoinableQueue, SimpleQueue, type BlockingOptions } from './queue.js';
export { Pipe, Connection } from './pipe.js';
export { wait } from './wait.js';
export * from './synchronize.js';
