/**
 * ShareableList, as CPython's multiprocessing/shared_memory.py has it (DESIGN §4.8): a list of
 * fixed length whose items (number, bigint, boolean, string, Uint8Array, null) live in a
 * SharedMemory (layout in list-layout.ts), read and written in place by every process that holds
 * or attaches to it. Items may change type but a str/bytes item never outgrows its slot. A handle
 * travels as `{ __troupe, shm }`; the receiver reads the layout from the memory.
 */
import { ValueError } from '../../errors.js';
import { registerHandle, reviveHandles } from '../../handles.js';
import type { Runtime } from '../../runtime.js';
import { blockSize, read, readFormat, slotSize, tables, write, writeHeader, type ShareableItem, type Tables } from './list-layout.js';
import { CHECK_OPEN, SharedMemory } from './shared-memory.js';

export type { ShareableItem };

const LOCAL = Symbol('troupe.shareableList');

interface Local {
  view: DataView;
  bytes: Uint8Array;
  tables: Tables;
}

function local(list: ShareableList<ShareableItem>): Local {
  list.shm[CHECK_OPEN]();
  return (list as unknown as { [LOCAL]: Local })[LOCAL];
}

function attachLayout(target: object, shm: SharedMemory): void {
  const view = new DataView(shm.sab);
  if (shm.size < 8) throw new ValueError(`the shared memory block '${shm.name}' is not a ShareableList (too small)`);
  const n = Number(view.getBigInt64(0, true));
  const t = tables(n);
  if (n < 0 || t.data > shm.size) throw new ValueError(`the shared memory block '${shm.name}' is not a ShareableList (bad header)`);
  Object.defineProperty(target, LOCAL, { value: { view, bytes: new Uint8Array(shm.sab), tables: t } satisfies Local, enumerable: false });
}

function position(index: unknown, length: number): number {
  if (typeof index !== 'number' || !Number.isInteger(index)) throw new TypeError(`list indices must be integers (got ${typeof index})`);
  const at = index < 0 ? index + length : index;
  if (at < 0 || at >= length) throw new RangeError(`index out of range: ${index} (the list has ${length} items; Python's IndexError)`);
  return at;
}

function same(a: unknown, b: unknown): boolean {
  if (a instanceof Uint8Array && b instanceof Uint8Array) return a.length === b.length && a.every((x, i) => x === b[i]);
  // Python's int is one type: 1 == 1n
  if ((typeof a === 'bigint' && typeof b === 'number') || (typeof a === 'number' && typeof b === 'bigint')) return a == b;
  return Object.is(a, b) || a === b;
}

/**
 * A fixed-length list in shared memory. `new ShareableList([1, 'two', null])` makes one (in a
 * new SharedMemory, named like any other); `new ShareableList(null, { name })` attaches to an
 * existing one from any process.
 *
 * @example
 * const sl = new ShareableList(['howdy', 42, true]);
 * sl.set(0, 'hi');                     // ok: fits the slot; a longer string → ValueError
 * sl.shm.close(); sl.shm.unlink();
 */
export class ShareableList<T extends ShareableItem = ShareableItem> implements Iterable<T> {
  declare readonly __troupe: 'shm.ShareableList';
  /** the shared memory holding the list */
  declare readonly shm: SharedMemory;

  constructor(sequence?: Iterable<NoInfer<T>> | null, options: { name?: string } = {}) {
    if (options === null || typeof options !== 'object') throw new TypeError('new ShareableList(sequence, options) takes options { name? }');
    const name = options.name;
    let shm: SharedMemory;
    if (name === undefined || name === null || (sequence !== undefined && sequence !== null)) {
      if (sequence !== undefined && sequence !== null && typeof (sequence as Iterable<T>)[Symbol.iterator] !== 'function') {
        throw new TypeError(`a ShareableList is made from an iterable of items (got ${typeof sequence})`);
      }
      const items = [...(sequence ?? [])];
      const sizes = items.map(slotSize);
      const t = tables(items.length);
      shm = new SharedMemory({ name: name ?? undefined, create: true, size: blockSize(t, sizes) });
      const view = new DataView(shm.sab);
      const bytes = new Uint8Array(shm.sab);
      writeHeader(view, t, sizes);
      items.forEach((item, i) => write(view, bytes, t, i, item));
    } else {
      shm = new SharedMemory({ name });
    }
    init(this, shm);
  }

  /** The number of items (fixed when the list is made). */
  get length(): number {
    return local(this).tables.n;
  }

  /** The Python struct format of every slot, e.g. `8s8sdqxxxxxx?xxxxxxxx?q`. */
  get format(): string {
    const { bytes, tables: t } = local(this);
    let out = '';
    for (let i = 0; i < t.n; i++) out += readFormat(bytes, t, i);
    return out;
  }

  /** The item at `index` (negative counts from the end); RangeError out of range (IndexError). */
  get(index: number): T {
    const { view, bytes, tables: t } = local(this);
    return read(view, bytes, t, position(index, t.n)) as T;
  }

  /**
   * Replaces the item at `index`: RangeError out of range, TypeError for an item of another kind,
   * ValueError for a string or bytes longer than the slot's allocation.
   */
  set(index: number, value: T): void {
    const { view, bytes, tables: t } = local(this);
    write(view, bytes, t, position(index, t.n), value);
  }

  /** How many items equal `value` (Python's ==: 1 equals 1n; bytes by content). */
  count(value: T): number {
    let n = 0;
    for (const item of this) if (same(item, value)) n++;
    return n;
  }

  /** The position of the first item equal to `value`; ValueError if there is none. */
  index(value: T): number {
    let i = 0;
    for (const item of this) {
      if (same(item, value)) return i;
      i++;
    }
    throw new ValueError(`${String(value)} not in this container`);
  }

  *[Symbol.iterator](): Iterator<T> {
    const { view, bytes, tables: t } = local(this);
    for (let i = 0; i < t.n; i++) yield read(view, bytes, t, i) as T;
  }

  toString(): string {
    const items = [...this].map((item) => (typeof item === 'string' ? `'${item}'` : item instanceof Uint8Array ? `b'${Buffer.from(item).toString('latin1')}'` : String(item)));
    return `ShareableList([${items.join(', ')}], name='${this.shm.name}')`;
  }
}

function init(target: object, shm: SharedMemory): void {
  const self = target as { __troupe: string; shm: SharedMemory };
  self.__troupe = 'shm.ShareableList';
  self.shm = shm;
  attachLayout(target, shm);
}

registerHandle('shm.ShareableList', (data: { shm: unknown }, runtime: Runtime, holder: string) => {
  const target = Object.create(ShareableList.prototype) as ShareableList;
  init(target, reviveHandles(data.shm, runtime, holder) as SharedMemory);
  return target;
});
