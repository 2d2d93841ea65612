/**
 * Shared by the fuzz suites: arbitraries of wrong input (any value, and values that cannot cross
 * a thread: functions, symbols, instances of classes with #private fields, nested or not), and
 * the check that a call failed the way DESIGN §8.4 promises — a typed troupe error (or the
 * Python-named TypeError/RangeError the contract specifies) whose message says what to do, never
 * a JavaScript engine error leaking from inside the runtime.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import { TroupeError } from 'troupe';

class Private {
  #secret = 1;
  get secret(): number {
    return this.#secret;
  }
}
class DerivedPrivate extends Private {}

/** Odd values every API should survive: non-finite numbers, null prototypes, boxed values... */
export const oddities = fc.constantFrom<unknown>(
  NaN,
  Infinity,
  -Infinity,
  -0,
  -1,
  1.5,
  2 ** 53,
  10n,
  '',
  'x',
  true,
  Object.create(null),
  Object.assign(Object.create(null), { type: 'ping' }),
  [],
  new Map(),
  new Set([1]),
  new Date(NaN),
  new Uint8Array(2),
  new Error('not an option'),
  Promise.resolve(1),
);

/** An instance of a class with #private fields, alone or nested: rejected even in the same thread. */
export const privateState = fc.oneof(
  fc.constant(new Private()),
  fc.constant(new DerivedPrivate()),
  fc.constant(new Private()).map((p) => ({ type: 'msg', payload: [p] })),
);

/** A value that cannot be sent between threads (SerializationError at the sender). */
export const unserialisableLeaf = fc.oneof(
  fc.func(fc.integer()),
  fc.string().map((s) => Symbol(s)),
  fc.constant(new Private()),
  fc.constant(new DerivedPrivate()),
  fc.constant(class Local {}),
  fc.constant(async () => 1),
);

/** An unserialisable leaf, alone or nested in plain data. */
export const unserialisable = fc.oneof(
  unserialisableLeaf,
  fc.record({ type: fc.constant('msg'), payload: unserialisableLeaf }),
  fc.tuple(fc.integer(), unserialisableLeaf),
  fc.tuple(fc.string(), fc.record({ deep: fc.array(unserialisableLeaf, { minLength: 1, maxLength: 2 }) })),
);

/** Anything at all, odd values and unserialisable ones included. */
export const junk = fc.oneof(
  { weight: 3, arbitrary: fc.anything({ withBigInt: true, withNullPrototype: true, withMap: true, withSet: true, withTypedArray: true, withBoxedValues: true, withSparseArray: true, withDate: true, maxDepth: 2 }) },
  { weight: 2, arbitrary: oddities },
  { weight: 1, arbitrary: unserialisableLeaf },
);

// Messages of errors thrown by the engine itself: seeing one means a value reached code that
// never checked it.
const ENGINE = /Cannot (convert|read|set|mix|destructure|create)|is not (a function|iterable|a constructor|defined)|Do not know how to serialize|Invalid (array|typed array) length|allocation failed|Maximum call stack|circular structure|could not be cloned|object null is not|undefined is not|Converting circular|#<Object>|\[object Object\]/;

export type ErrorClass = abstract new (...args: never[]) => Error;

/** The outcome of a call that may throw or return a Promise (bounded: a hang fails). */
export async function outcome(call: () => unknown, withinMs = 3000): Promise<{ error?: unknown; value?: unknown }> {
  let result: unknown;
  try {
    result = call();
  } catch (error) {
    return { error };
  }
  if (!(result instanceof Promise)) return { value: result };
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`HUNG: the call did not settle within ${withinMs} ms`)), withinMs)));
  try {
    return { value: await Promise.race([result, hung]) };
  } catch (error) {
    if (error instanceof Error && error.message.startsWith('HUNG:')) throw error;
    return { error };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Asserts that `error` is a typed error of one of `classes` (default: any troupe error, or a
 * TypeError/RangeError where the contract names Python's) with a message that explains.
 */
export function expectTyped(error: unknown, classes: readonly ErrorClass[], what: string): void {
  expect(error, `${what}: expected an error, the call succeeded`).toBeInstanceOf(Error);
  const e = error as Error;
  const label = `${what} threw ${e.name}: ${e.message}`;
  expect(
    classes.some((c) => e instanceof c),
    `${label} (expected ${classes.map((c) => c.name).join(' or ')})`,
  ).toBe(true);
  expect(e.name, label).toBe(e.constructor.name);
  expect(e.message.length, `${label}: a message that says what to do`).toBeGreaterThanOrEqual(20);
  expect(ENGINE.test(e.message), `${label}: an engine error leaked`).toBe(false);
  if (!(e instanceof TroupeError)) expect(e.constructor === TypeError || e.constructor === RangeError, `${label}: not a troupe error class`).toBe(true);
}

/** Runs `call` and asserts it fails typed. */
export async function failsTyped(call: () => unknown, classes: readonly ErrorClass[], what: string): Promise<void> {
  calls.n++;
  const { error } = await outcome(call);
  expectTyped(error, classes, what);
}

/** Short description of a generated value, for failure messages. */
export function show(value: unknown): string {
  try {
    return fc.stringify(value).slice(0, 120);
  } catch {
    return typeof value;
  }
}

/** The number of calls made by the fuzz suites, for the "after ~10k calls" checks. */
export const calls = { n: 0 };
