/**
 * An actor's mailbox: a first-in first-out ring of slots whose capacity is a power of two. It
 * grows by copying into a ring four times larger (twice, past 4,096), so a burst costs a handful
 * of copies in all; taking an entry clears its slot, so nothing handled stays reachable. Once
 * empty, a large ring is dropped and a small one kept: an actor fed one message at a time never
 * reallocates, and an idle actor holds at most 16 slots.
 *
 * (A JS array used as a queue costs more: `push` regrows it from empty after every drain, and
 * reading from a moving head needs a copy now and then to let the handled part go.)
 */

/** The ring an idle mailbox points at; never written (a push into it grows first). */
const NONE: unknown[] = [];
/** The largest ring kept once the mailbox is empty. */
const KEEP = 16;

export class Mailbox {
  private slots: unknown[] = NONE;
  private head = 0;
  /** entries waiting */
  size = 0;

  push(entry: unknown): void {
    const slots = this.slots;
    if (this.size === slots.length) return this.grow(entry);
    slots[(this.head + this.size++) & (slots.length - 1)] = entry;
  }

  /** The oldest entry, removed; the mailbox must not be empty. */
  shift(): unknown {
    const slots = this.slots;
    const head = this.head;
    const entry = slots[head];
    slots[head] = undefined;
    if (--this.size === 0) {
      this.head = 0;
      if (slots.length > KEEP) this.slots = NONE;
    } else {
      this.head = (head + 1) & (slots.length - 1);
    }
    return entry;
  }

  /** Empties the mailbox; returns what was in it, oldest first. */
  takeAll(): unknown[] {
    const all: unknown[] = [];
    while (this.size > 0) all.push(this.shift());
    return all;
  }

  private grow(entry: unknown): void {
    const old = this.slots;
    const capacity = old.length;
    const slots = new Array<unknown>(capacity === 0 ? KEEP : capacity < 4096 ? capacity * 4 : capacity * 2);
    for (let i = 0; i < capacity; i++) slots[i] = old[(this.head + i) & (capacity - 1)];
    this.slots = slots;
    this.head = 0;
    slots[this.size++] = entry;
  }
}
