// Targets and classes of the "sharing state between processes" examples. Workers import this
// module, so it has no side effects (Python's `if __name__ == '__main__'` rule).
import { task } from 'troupe';
import type { Array as SharedArray, DictProxy, ListProxy, Value } from 'troupe/multiprocessing';
import { SharedMemory } from 'troupe/multiprocessing/shared_memory';

/** Python's `f(n, a)`: writes pi into the shared Value and negates the shared Array in place. */
export const f = task((n: Value, a: SharedArray) => {
  n.value = 3.1415927;
  for (let i = 0; i < a.length; i++) a.set(i, -a.get(i));
});

/** Python's manager example: fills the managed dict and reverses the managed list. */
export const fillManaged = task(async (d: DictProxy<number | string, string | number | null>, l: ListProxy<number>) => {
  await d.set(1, '1');
  await d.set('2', 2);
  await d.set(0.25, null);
  await l.reverse();
});

/** Attaches to a shared memory block by name and reads its first bytes (Python's shm_b). */
export const readBlock = task((name: string, n: number) => {
  const shm = new SharedMemory({ name });
  console.log(`child sees ${JSON.stringify([...shm.buf.subarray(0, n)])} in ${shm.name}`);
  shm.buf[n] = 66;
  shm.close();
});

/** The class the custom manager example registers (Python's MathsClass). */
export class MathsClass {
  add(x: number, y: number): number {
    return x + y;
  }

  mul(x: number, y: number): number {
    return x * y;
  }
}

/** Uses a proxy to a managed MathsClass from a child process. */
export const useMaths = task(async (maths: { add(x: number, y: number): Promise<number> }) => {
  console.log(`child: maths.add(40, 2) = ${await maths.add(40, 2)}`);
});
