/** Time, injected so that lifetimes and schedules are tested with a fake clock instead of sleeps. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
