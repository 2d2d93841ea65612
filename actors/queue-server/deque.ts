/** A FIFO with cheap take-from-head and put-back-at-head (items a consumer did not take return first). */
export class Deque {
  private a: unknown[] = [];
  private h = 0;

  get length(): number {
    return this.a.length - this.h;
  }

  push(x: unknown): void {
    this.a.push(x);
  }

  pushAll(items: readonly unknown[]): void {
    const a = this.a;
    for (let i = 0; i < items.length; i++) a.push(items[i]);
  }

  take(n: number): unknown[] {
    const out = this.a.slice(this.h, this.h + n);
    this.h += n;
    if (this.h === this.a.length) {
      this.a = [];
      this.h = 0;
    } else if (this.h > 1024 && this.h * 2 > this.a.length) {
      this.a = this.a.slice(this.h);
      this.h = 0;
    }
    return out;
  }

  /** The head item (the deque is not empty). */
  shift(): unknown {
    const a = this.a;
    const x = a[this.h];
    a[this.h++] = undefined;
    if (this.h === a.length) {
      a.length = 0;
      this.h = 0;
    } else if (this.h > 1024 && this.h * 2 > a.length) {
      this.a = a.slice(this.h);
      this.h = 0;
    }
    return x;
  }

  unshiftAll(items: readonly unknown[]): void {
    if (items.length <= this.h) {
      this.h -= items.length;
      for (let i = 0; i < items.length; i++) this.a[this.h + i] = items[i];
    } else {
      this.a = [...items, ...this.a.slice(this.h)];
      this.h = 0;
    }
  }

  clear(): unknown[] {
    return this.take(this.length);
  }
}
