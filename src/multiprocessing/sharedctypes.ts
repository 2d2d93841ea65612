/**
 * Shared ctypes objects, as CPython's multiprocessing/sharedctypes.py has them (DESIGN §4.8):
 * Value, Array (synchronized) and RawValue, RawArray (raw) over SharedArrayBuffers. One file
 * each for the typecodes, the raw objects and the synchronized wrappers, in sharedctypes/.
 */
export { type TypeCode } from './sharedctypes/typecodes.js';
export { RawValueObject, RawArrayObject, RawValue, RawArray } from './sharedctypes/raw.js';
export { Value, SharedArray, type SharedOptions } from './sharedctypes/synchronized.js';
