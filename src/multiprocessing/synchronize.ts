/**
 * Python's synchronisation primitives (DESIGN §4.4), as CPython's multiprocessing/synchronize.py
 * has them: Lock, RLock, Semaphore, BoundedSemaphore, Event, Condition, Barrier — one file each
 * in synchronize/. Each is a handle on a SharedArrayBuffer that travels to any thread; what never
 * waits is sync; the slow path is the lock-manager actor's (actors/lock-manager/).
 */
export { Lock, RLock, type AcquireOptions } from './synchronize/mutex.js';
export { Semaphore, BoundedSemaphore } from './synchronize/semaphore.js';
export { Event } from './synchronize/event.js';
export { Condition } from './synchronize/condition.js';
export { Barrier } from './synchronize/barrier.js';
