// Timers that move only when a test says so (the Timers seam of src/logout/backchannel.ts): what FakeClock is for
// lifetimes, this is for waits. A test states what happens before and after a deadline, and in which order the
// waits come, without sleeping and without measuring the wall clock.
import type { Timers } from '../../src/logout/backchannel.js';

interface Scheduled {
  at: number;
  /** The wait it was scheduled with. */
  ms: number;
  fire: () => void;
}

/** How long (real time) runNext waits for the code under test to schedule the timer it expects. */
const SCHEDULE_WAIT_MS = 5_000;

export class ManualTimers implements Timers {
  private current = 0;
  private readonly scheduled = new Set<Scheduled>();
  /** How many timers have fired. */
  fired = 0;

  /** Manual time elapsed, ms. */
  get now(): number {
    return this.current;
  }

  /** Timers scheduled and neither fired nor cancelled. */
  get pending(): number {
    return this.scheduled.size;
  }

  schedule(ms: number, fire: () => void): () => void {
    const entry: Scheduled = { at: this.current + ms, ms, fire };
    this.scheduled.add(entry);
    return () => {
      this.scheduled.delete(entry);
    };
  }

  /** Moves time on by `ms`, firing in order every timer due by then. */
  advance(ms: number): void {
    const until = this.current + ms;
    for (let next = this.earliest(); next && next.at <= until; next = this.earliest()) {
      this.scheduled.delete(next);
      this.current = next.at;
      this.fired += 1;
      next.fire();
    }
    this.current = until;
  }

  /**
   * Waits until the earliest pending timer is one scheduled with `ms` (the code under test schedules its waits
   * as its I/O completes), then moves time to it and fires it. Fails if no such timer comes first within a few
   * seconds of real time: the code under test waits otherwise than expected.
   */
  async runNext(ms: number): Promise<void> {
    const deadline = Date.now() + SCHEDULE_WAIT_MS;
    for (let next = this.earliest(); next?.ms !== ms; next = this.earliest()) {
      if (Date.now() > deadline) {
        const pending = [...this.scheduled].map((entry) => `${entry.ms} ms (due at ${entry.at})`).join(', ') || 'none';
        throw new Error(`expected a ${ms} ms wait to come next at ${this.current} ms; pending: ${pending}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const next = this.earliest() as Scheduled;
    this.advance(next.at - this.current);
  }

  private earliest(): Scheduled | undefined {
    let first: Scheduled | undefined;
    for (const entry of this.scheduled) if (!first || entry.at < first.at) first = entry;
    return first;
  }
}
