import type { Clock } from '../../src/clock.js';

/** A clock that moves only when told to: lifetimes are tested without sleeping. */
export class FakeClock implements Clock {
  constructor(private current: number = Date.now()) {}

  now(): number {
    return this.current;
  }

  advance(ms: number): void {
    this.current += ms;
  }
}
