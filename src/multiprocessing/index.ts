/**
 * `troupe/multiprocessing`: Python's multiprocessing in TypeScript (DESIGN §4). One module per
 * concept, as in CPython's Lib/multiprocessing; this file only re-exports (and, by importing
 * extension.ts, registers the facade with the kernel).
 */
import './extension.js';
// the shared-memory name table is served by main: register it wherever the facade is loaded
import './shared_memory/registry.js';
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
  FileNotFoundError,
  FileExistsError,
  KeyError,
} from '../errors.js';
export { Process, type ProcessOptions } from './process.js';
export { currentProcess, parentProcess, activeChildren, cpuCount } from './current.js';
export { exit } from './exit.js';
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
export { RawValueObject, RawArrayObject, RawValue, RawArray, Value, SharedArray as Array, type SharedOptions, type TypeCode, type BigIntCode, type NumberCode } from './sharedctypes.js';
export { Manager, SyncManager, BaseProxy, DictProxy, ListProxy, NamespaceProxy, type Proxy } from './managers.js';
