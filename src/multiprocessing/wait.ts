/**
 * wait(), as in CPython's multiprocessing.connection.wait: the ready subset of Connections,
 * Queues (their readers) and process sentinels. Each object reports readiness on its own (a parked
 * poll at its server, or a settled Promise); polls still parked when wait() returns are cancelled.
 */
import { ValueError } from '../errors.js';
import { WAITABLE, waitTimeout, type Waitable } from './queue-client.js';

function isWaitable(value: unknown): value is Waitable {
  return typeof value === 'object' && value !== null && typeof (value as Waitable)[WAITABLE] === 'function';
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as PromiseLike<unknown>).then === 'function';
}

/**
 * Resolves the objects of `objects` that are ready, in their given order, once at least one is
 * (or `timeout` ms passed: then possibly none). A Connection is ready when recv() would not block
 * (data or EOF), a Queue when get() would not, a sentinel (any Promise) once it has settled.
 *
 * @example const ready = await wait([conn, proc.sentinel], 1000);
 */
export function wait<T>(objects: readonly T[], timeout?: number | null): Promise<T[]> {
  try {
    if (!Array.isArray(objects)) throw new ValueError('wait(objects, timeout?) takes an array of Connections, Queues and sentinels');
    const ms = waitTimeout(timeout, 'wait()');
    for (const object of objects) {
      if (!isWaitable(object) && !isThenable(object)) {
        throw new ValueError(`wait() takes Connections, Queues and process sentinels (Promises); got ${object === null ? 'null' : typeof object}`);
      }
    }
    if (objects.length === 0) return Promise.resolve([]);
    return waitFor(objects, ms);
  } catch (error) {
    return Promise.reject(error);
  }
}

function waitFor<T>(objects: readonly T[], ms: number | null): Promise<T[]> {
  return new Promise<T[]>((resolve, reject) => {
    const ready = new Set<number>();
    const cancels: Array<() => void> = [];
    let done = false;
    let timer: NodeJS.Timeout | undefined;
    let gathering = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      if (timer) clearTimeout(timer);
      for (const cancel of cancels) cancel();
      resolve(objects.filter((_, i) => ready.has(i)));
    };
    const mark = (i: number): void => {
      ready.add(i);
      if (gathering || done) return;
      // give the other objects' answers already on their way one turn to arrive
      gathering = true;
      setImmediate(finish);
    };
    try {
      objects.forEach((object, i) => {
        if (isWaitable(object)) {
          const { ready: isReady, cancel } = object[WAITABLE]();
          cancels.push(cancel);
          isReady.then((ok) => ok && mark(i), () => mark(i));
        } else {
          (object as PromiseLike<unknown>).then(() => mark(i), () => mark(i));
        }
      });
    } catch (error) {
      done = true;
      for (const cancel of cancels) cancel();
      reject(error);
      return;
    }
    if (ms !== null) timer = setTimeout(finish, ms);
  });
}
