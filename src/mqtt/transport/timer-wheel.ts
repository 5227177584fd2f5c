/**
 * Something a {@link TimerWheel} watches. The links live on the entry itself, so watching a
 * connection allocates nothing: an idle connection's keepalive costs a few fields instead of a
 * Node Timeout, its callback closure and boxed numbers (about 250 bytes each).
 */
export interface WheelEntry {
  /** The wheel's bookkeeping: the slot the entry is linked into, -1 when not watched. */
  wheelSlot: number;
  wheelPrev: WheelEntry | undefined;
  wheelNext: WheelEntry | undefined;
  /** The tick the entry is due at. */
  wheelAt: number;
  /**
   * Called once `wheelAt` has passed, with the current tick. Returns a later tick to be called
   * again then (the deadline moved meanwhile), or -1 to leave the wheel.
   */
  wheelDue(now: number): number;
}

export interface TimerWheelOptions {
  /** Tick length, ms: entries are called up to about two ticks after their deadline, never before. */
  readonly tickMs: number;
  /** Slots (a power of 2); deadlines further than one revolution are visited once per revolution. */
  readonly slots: number;
}

/** Marks the entries of the slot being fired: they are unlinked from `firing`, not from a slot. */
const FIRING = -2;

/**
 * A hashed timer wheel: one interval for any number of deadlines. Each tick visits only the
 * entries of its slot, so its cost is bounded by the entries due then (or one revolution away).
 * Moving a deadline costs nothing: the owner updates its own state and answers the call with the
 * new tick. The interval runs only while something is watched and never keeps the process alive.
 */
export class TimerWheel {
  readonly tickMs: number;
  private readonly mask: number;
  private readonly slots: (WheelEntry | undefined)[];
  /** The fired slot's entries not called yet (an entry removed meanwhile unlinks itself). */
  private firing: WheelEntry | undefined;
  private size = 0;
  /** The last tick whose slot was fired. */
  private done = 0;
  private interval: NodeJS.Timeout | undefined;

  constructor(options: TimerWheelOptions) {
    if (!(options.slots > 0 && (options.slots & (options.slots - 1)) === 0)) {
      throw new RangeError('timer wheel slots must be a power of 2');
    }
    this.tickMs = options.tickMs;
    this.mask = options.slots - 1;
    this.slots = new Array<WheelEntry | undefined>(options.slots).fill(undefined);
  }

  /** The current tick (a small integer: ticks since the process started). */
  now(): number {
    return Math.floor(performance.now() / this.tickMs);
  }

  /** The first tick at or after which `ms` from now have surely passed. */
  after(ms: number): number {
    // +1: `now()` rounds down, so the current tick may have started up to one tick ago.
    return this.now() + Math.ceil(ms / this.tickMs) + 1;
  }

  /** Watches `entry` until its `wheelAt` tick (re-placed if it was watched already). */
  insert(entry: WheelEntry): void {
    if (entry.wheelSlot !== -1) this.remove(entry);
    if (this.size === 0) this.start();
    // A tick already fired (or the current one) goes into the next slot to fire.
    const slot = Math.max(entry.wheelAt, this.done + 1) & this.mask;
    const head = this.slots[slot];
    entry.wheelSlot = slot;
    entry.wheelPrev = undefined;
    entry.wheelNext = head;
    if (head !== undefined) head.wheelPrev = entry;
    this.slots[slot] = entry;
    this.size++;
  }

  /** Stops watching `entry`; nothing if it is not watched. */
  remove(entry: WheelEntry): void {
    const slot = entry.wheelSlot;
    if (slot === -1) return;
    const { wheelPrev: prev, wheelNext: next } = entry;
    if (prev !== undefined) prev.wheelNext = next;
    else if (slot === FIRING) this.firing = next;
    else this.slots[slot] = next;
    if (next !== undefined) next.wheelPrev = prev;
    entry.wheelSlot = -1;
    entry.wheelPrev = undefined;
    entry.wheelNext = undefined;
    if (--this.size === 0) this.stop();
  }

  /** Entries watched now. */
  get watched(): number {
    return this.size;
  }

  private start(): void {
    this.done = this.now();
    this.interval = setInterval(() => this.advance(), this.tickMs);
    this.interval.unref();
  }

  private stop(): void {
    clearInterval(this.interval);
    this.interval = undefined;
  }

  /** Fires every slot up to the current tick (after a blocked loop, at most one revolution). */
  private advance(): void {
    const now = this.now();
    const from = Math.max(this.done + 1, now - this.mask);
    for (let tick = from; tick <= now && this.size > 0; tick++) {
      this.done = tick;
      this.fire(tick & this.mask, now);
    }
    this.done = now;
  }

  private fire(slot: number, now: number): void {
    let entry = this.slots[slot];
    if (entry === undefined) return;
    this.slots[slot] = undefined;
    this.firing = entry;
    for (; entry !== undefined; entry = entry.wheelNext) entry.wheelSlot = FIRING;
    for (entry = this.firing; entry !== undefined; entry = this.firing) {
      this.remove(entry);
      // Not due yet: a deadline more than one revolution away, seen on an earlier turn.
      const next = entry.wheelAt > now ? entry.wheelAt : this.call(entry, now);
      if (next >= 0 && entry.wheelSlot === -1) {
        entry.wheelAt = next;
        this.insert(entry);
      }
    }
  }

  /** An owner that throws must not strand the rest of the slot: the error surfaces afterwards. */
  private call(entry: WheelEntry, now: number): number {
    try {
      return entry.wheelDue(now);
    } catch (err) {
      process.nextTick(() => {
        throw err;
      });
      return -1;
    }
  }
}
