/**
 * Shared ctypes objects, as CPython's multiprocessing/sharedctypes.py has them (DESIGN §4.8):
 * Value, Array (synchronized) and RawValue, RawArray (raw) over SharedArrayBuffers, one file each
 * for the typecodes, the raw objects and the synchronized wrappers, in sharedctypes/. This file
 * types their constructors by typecode, so `new Value('d', 0.0)` is a Value<number> whose value
 * may change (not a Value<0>) and `new Value('q')` a Value<bigint>.
 */
import { RawArray as RawArrayClass, RawValue as RawValueClass } from './sharedctypes/raw.js';
import { SharedArray as SharedArrayClass, Value as ValueClass, type SharedOptions } from './sharedctypes/synchronized.js';
import type { TypeCode } from './sharedctypes/typecodes.js';

export { RawValueObject, RawArrayObject } from './sharedctypes/raw.js';
export type { SharedOptions, TypeCode };

/** The typecodes that hold bigints (64-bit integers). */
export type BigIntCode = 'l' | 'L' | 'q' | 'Q';
/** The typecodes that hold numbers. */
export type NumberCode = Exclude<TypeCode, BigIntCode>;

type Init<T> = number | Iterable<T>;

/** `new Value(typecode, value?, options?)`, typed by typecode. */
export interface ValueConstructor {
  new (typecode: BigIntCode, value?: bigint, options?: SharedOptions): ValueClass<bigint>;
  new (typecode: NumberCode, value?: number, options?: SharedOptions): ValueClass<number>;
  new <T extends number | bigint = number>(typecode: TypeCode, value?: T, options?: SharedOptions): ValueClass<T>;
  readonly prototype: ValueClass<any>;
}

/** `new Array(typecode, sizeOrInitializer, options?)`, typed by typecode. */
export interface SharedArrayConstructor {
  new (typecode: BigIntCode, sizeOrInitializer: Init<bigint>, options?: SharedOptions): SharedArrayClass<bigint>;
  new (typecode: NumberCode, sizeOrInitializer: Init<number>, options?: SharedOptions): SharedArrayClass<number>;
  new <T extends number | bigint = number>(typecode: TypeCode, sizeOrInitializer: Init<T>, options?: SharedOptions): SharedArrayClass<T>;
  readonly prototype: SharedArrayClass<any>;
}

/** `new RawValue(typecode, value?)`, typed by typecode. */
export interface RawValueConstructor {
  new (typecode: BigIntCode, value?: bigint): RawValueClass<bigint>;
  new (typecode: NumberCode, value?: number): RawValueClass<number>;
  new <T extends number | bigint = number>(typecode: TypeCode, value?: T): RawValueClass<T>;
  readonly prototype: RawValueClass<any>;
}

/** `new RawArray(typecode, sizeOrInitializer)`, typed by typecode. */
export interface RawArrayConstructor {
  new (typecode: BigIntCode, sizeOrInitializer: Init<bigint>): RawArrayClass<bigint>;
  new (typecode: NumberCode, sizeOrInitializer: Init<number>): RawArrayClass<number>;
  new <T extends number | bigint = number>(typecode: TypeCode, sizeOrInitializer: Init<T>): RawArrayClass<T>;
  readonly prototype: RawArrayClass<any>;
}

/** A synchronized shared value (see sharedctypes/synchronized.ts). */
export const Value = ValueClass as ValueConstructor;
/** A synchronized shared value holding T (number, or bigint for l L q Q). */
export type Value<T extends number | bigint = number> = ValueClass<T>;
/** A synchronized shared array, exported from the facade as `Array`. */
export const SharedArray = SharedArrayClass as SharedArrayConstructor;
/** A synchronized shared array of T. */
export type SharedArray<T extends number | bigint = number> = SharedArrayClass<T>;
/** A raw shared value (no lock). */
export const RawValue = RawValueClass as RawValueConstructor;
/** A raw shared value holding T. */
export type RawValue<T extends number | bigint = number> = RawValueClass<T>;
/** A raw shared array (no lock). */
export const RawArray = RawArrayClass as RawArrayConstructor;
/** A raw shared array of T. */
export type RawArray<T extends number | bigint = number> = RawArrayClass<T>;
