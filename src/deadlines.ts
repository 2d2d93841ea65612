/**
 * Ask timeouts without a timer per ask: asks with the same timeout expire in the order they were
 * made, so each distinct timeout keeps a FIFO of (deadline, id) and one timer for its head.
 * Settled asks are skipped when their deadline comes. A timer keeps the process alive only while
 * some ask it covers is still pending (as a per-ask timer would); the timers are let go a microtask
 * after the last ask settled, so a caller that asks again at once (a loop of awaited asks) does
 * not toggle them twice per ask.
 */
const MAX_TIMER = 2 ** 31 - 1;
const IDLE_CHECK = Promise.resolve();

interface Lane {
  ids: number[];
  deadlines: number[];
  head: number;
  timer: NodeJS.Timeout | undefined;
}

export class Deadlines {
  private readonly lanes = new Map<number, Lane>();
  /** asks registered here and not yet settled */
  private live = 0;
  /** every lane's timer keeps the process alive */
  private refed = true;
  /** a check whether to let the timers go is queued */
  private checking = false;

  /** `expire(id, ms)` rejects the ask if it is still pending; true if it was. */
  constructor(private readonly expire: (id: number, ms: number) => boolean) {}

  add(ms: number, id: number): void {
    let lane = this.lanes.get(ms);
    if (lane === undefined) this.lanes.set(ms, (lane = { ids: [], deadlines: [], head: 0, timer: undefined }));
    lane.ids.push(id);
    lane.deadlines.push(performance.now() + ms);
    this.live++;
    if (!this.refed) {
      this.refed = true;
      for (const other of this.lanes.values()) other.timer?.ref();
    }
    if (lane.timer === undefined) this.arm(ms, lane);
  }

  /** An ask registered here settled (replied, or rejected for another reason). */
  settled(): void {
    if (--this.live === 0 && !this.checking) {
      this.checking = true;
      void IDLE_CHECK.then(this.letGo);
    }
  }

  private readonly letGo = (): void => {
    this.checking = false;
    if (this.live !== 0 || !this.refed) return;
    this.refed = false;
    for (const lane of this.lanes.values()) lane.timer?.unref();
  };

  private arm(ms: number, lane: Lane): void {
    // setTimeout takes at most 2^31-1 ms (more fires at once): a far deadline is re-armed on the way
    const wait = Math.min(MAX_TIMER, Math.max(0, lane.deadlines[lane.head]! - performance.now()));
    lane.timer = setTimeout(() => this.fire(ms, lane), wait);
    if (!this.refed) lane.timer.unref();
  }

  private fire(ms: number, lane: Lane): void {
    lane.timer = undefined;
    const now = performance.now();
    while (lane.head < lane.ids.length && lane.deadlines[lane.head]! <= now + 1) {
      const id = lane.ids[lane.head]!;
      lane.head++;
      if (this.expire(id, ms)) this.settled();
    }
    if (lane.head >= 1024 && lane.head * 2 >= lane.ids.length) {
      lane.ids = lane.ids.slice(lane.head);
      lane.deadlines = lane.deadlines.slice(lane.head);
      lane.head = 0;
    }
    if (lane.head < lane.ids.length) this.arm(ms, lane);
    else {
      lane.ids.length = 0;
      lane.deadlines.length = 0;
      lane.head = 0;
      this.lanes.delete(ms);
    }
  }

  /** Drops every timer (the runtime is going away; its asks were rejected). */
  clear(): void {
    for (const lane of this.lanes.values()) clearTimeout(lane.timer);
    this.lanes.clear();
    this.live = 0;
    this.refed = true;
  }
}
