/**
 * SharedMemory, as CPython's multiprocessing/shared_memory.py has it (DESIGN §4.8): a block of
 * bytes over a SharedArrayBuffer, named in the main thread's table (registry.ts) so any process
 * or actor of the system can attach to it by name. A handle is plain data (`{ __troupe, name,
 * size, sab }`) and also travels as it is; `close()` ends this handle only, `unlink()` frees the
 * name, and memory lives as long as some handle holds it.
 */
import { constants } from 'node:buffer';
import { ValueError } from '../../errors.js';
import { registerHandle } from '../../handles.js';
import { namesOp } from './registry.js';

/** Options of `new SharedMemory()`, Python's `SharedMemory(name=None, create=False, size=0)`. */
export interface SharedMemoryOptions {
  name?: string;
  create?: boolean;
  size?: number;
}

const BUF = Symbol('troupe.shm.buf');

/** Throws ValueError if `shm` was closed (for users of its memory such as ShareableList). */
export const CHECK_OPEN = Symbol('troupe.shm.checkOpen');

function checkOptions(options: unknown): { name: string | undefined; create: boolean; size: number } {
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`new SharedMemory(options) takes { name?, create?, size? } (got ${options === null ? 'null' : typeof options})`);
  }
  const { name, create = false, size = 0 } = options as SharedMemoryOptions;
  if (name !== undefined && name !== null && (typeof name !== 'string' || name === '')) {
    throw new TypeError(`the name of a shared memory block must be a non-empty string (got ${typeof name === 'string' ? "''" : typeof name})`);
  }
  if (typeof create !== 'boolean') throw new TypeError(`create must be a boolean (got ${typeof create})`);
  if (typeof size !== 'number' || !Number.isInteger(size)) throw new TypeError(`'size' must be an integer number of bytes (got ${typeof size === 'number' ? size : typeof size})`);
  // Python's own checks, in Python's order
  if (!(size >= 0)) throw new ValueError("'size' must be a positive integer");
  if (create && size === 0) throw new ValueError("'size' must be a positive number different from zero");
  // a block is seen through one Uint8Array: past the engine's limit it could not be (Python: ENOMEM)
  if (create && size > constants.MAX_LENGTH) throw new ValueError(`cannot allocate a shared memory block of ${size} bytes: the largest is ${constants.MAX_LENGTH}; ask for less`);
  if ((name === undefined || name === null) && !create) throw new ValueError("'name' can only be None if create=True");
  return { name: name ?? undefined, create, size };
}

/**
 * A block of shared memory. `new SharedMemory({ create: true, size })` makes one (named
 * `psm_xxxxxxxx` unless a name is given); `new SharedMemory({ name })` attaches to an existing
 * one from any process of the system (FileNotFoundError if there is none; FileExistsError when
 * creating a name that is taken).
 *
 * @example
 * const shm = new SharedMemory({ create: true, size: 10 });
 * shm.buf[0] = 42;                       // a child attaches with new SharedMemory({ name: shm.name })
 * shm.close(); shm.unlink();
 */
export class SharedMemory {
  declare readonly __troupe: 'shm.SharedMemory';
  /** the block's name (attach to it with `new SharedMemory({ name })`) */
  declare readonly name: string;
  /** its size in bytes */
  declare readonly size: number;
  /** the shared memory itself */
  declare readonly sab: SharedArrayBuffer;
  declare private [BUF]: Uint8Array | null;

  constructor(options: SharedMemoryOptions = {}) {
    const { name, create, size } = checkOptions(options);
    const block = create ? namesOp('create', [name ?? null, size]) : namesOp('attach', [name!]);
    init(this, block.name, block.sab);
  }

  /** The bytes of the block (a Uint8Array over shared memory); ValueError once this handle is closed. */
  get buf(): Uint8Array {
    const buf = this[BUF];
    if (buf === null) throw new ValueError('operation forbidden on a closed SharedMemory: close() released this handle\'s buffer (attach again by name to use the block)');
    return buf;
  }

  /** Closes this handle only (other handles, here or in other processes, keep working). */
  close(): void {
    this[BUF] = null;
  }

  /**
   * Frees the block's name: later attaches by name fail with FileNotFoundError, handles already
   * attached keep working. FileNotFoundError if the name was already freed (as in Python).
   */
  unlink(): void {
    namesOp('unlink', [this.name]);
  }

  [CHECK_OPEN](): void {
    void this.buf;
  }

  toString(): string {
    return `SharedMemory('${this.name}', size=${this.size})`;
  }
}

function init(target: SharedMemory, name: string, sab: SharedArrayBuffer): void {
  const self = target as unknown as { __troupe: string; name: string; size: number; sab: SharedArrayBuffer };
  self.__troupe = 'shm.SharedMemory';
  self.name = name;
  self.size = sab.byteLength;
  self.sab = sab;
  Object.defineProperty(target, BUF, { value: new Uint8Array(sab), writable: true, enumerable: false });
}

interface SharedMemoryData {
  name: string;
  sab: SharedArrayBuffer;
}

// A handle that travels arrives open, over the same memory (even if its name was unlinked since).
registerHandle('shm.SharedMemory', (data: SharedMemoryData) => {
  const target = Object.create(SharedMemory.prototype) as SharedMemory;
  init(target, data.name, data.sab);
  return target;
});
