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
export * from './logging.js';
