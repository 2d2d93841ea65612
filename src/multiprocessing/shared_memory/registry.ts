/**
 * The names of shared memory blocks (Python's `/dev/shm` namespace), kept in the main thread as a
 * kernel extension: `create`, `attach` and `unlink` ops that workers call blocking
 * (extensionCallSync) and main calls directly. Main answers them alone and at once, so a worker
 * blocked on one never waits for another thread. The table is one per Node process (behind a
 * globalThis slot), like the OS's: a name made through one system is found from any other.
 */
import { randomBytes } from 'node:crypto';
import { FileExistsError, FileNotFoundError, ValueError } from '../../errors.js';
import { defineExtension, type SystemExtension } from '../../extension.js';
import { extensionCallSync, inWorker } from '../../kernel-call.js';

/** A named block as the ops return it. */
interface Block {
  name: string;
  sab: SharedArrayBuffer;
}

const SLOT = Symbol.for('troupe.sharedMemory.names');
type Slots = Record<symbol, Map<string, SharedArrayBuffer> | undefined>;

function names(): Map<string, SharedArrayBuffer> {
  const slots = globalThis as unknown as Slots;
  return (slots[SLOT] ??= new Map());
}

/** Python's `_make_filename()`: `psm_` and 8 hex digits. */
function freshName(): string {
  return `psm_${randomBytes(4).toString('hex')}`;
}

/** `size` bytes of shared memory, or ValueError (not the engine's RangeError) when there is no room. */
function allocate(size: number): SharedArrayBuffer {
  try {
    return new SharedArrayBuffer(size);
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    throw new ValueError(`cannot allocate a shared memory block of ${size} bytes: the machine has no room for it; ask for less`);
  }
}

const ops = {
  /** A new block of `size` bytes under `name` (a fresh `psm_` name if null). */
  create: ([name, size]: [string | null, number]): Block => {
    const table = names();
    let chosen = name ?? freshName();
    while (name === null && table.has(chosen)) chosen = freshName();
    if (table.has(chosen)) throw new FileExistsError(`[Errno 17] File exists: '${chosen}' (a shared memory block has this name; attach to it with create: false, or unlink it first)`);
    const sab = allocate(size);
    table.set(chosen, sab);
    return { name: chosen, sab };
  },
  /** The block named `name`. */
  attach: ([name]: [string]): Block => {
    const sab = names().get(name);
    if (sab === undefined) throw new FileNotFoundError(`[Errno 2] No such file or directory: '${name}' (no shared memory block has this name, or it was unlinked)`);
    return { name, sab };
  },
  /** Frees the name (handles attached to the block keep working). */
  unlink: ([name]: [string]): null => {
    if (!names().delete(name)) throw new FileNotFoundError(`[Errno 2] No such file or directory: '${name}' (it was already unlinked)`);
    return null;
  },
};

type Op = keyof typeof ops;

class SharedMemoryNames implements SystemExtension {
  readonly ops = ops;
}

/** The shared-memory name table, as a kernel extension with ops create/attach/unlink. */
const SHARED_MEMORY = defineExtension<SharedMemoryNames>({
  name: 'troupe.sharedMemory',
  create: () => new SharedMemoryNames(),
});

/** Runs a name op from any thread: directly in main, as a blocking kernel call in a worker. */
export function namesOp<K extends Op>(op: K, args: Parameters<(typeof ops)[K]>[0]): ReturnType<(typeof ops)[K]> {
  if (inWorker()) return extensionCallSync(SHARED_MEMORY, op, args) as ReturnType<(typeof ops)[K]>;
  return (ops[op] as (args: unknown) => ReturnType<(typeof ops)[K]>)(args);
}
