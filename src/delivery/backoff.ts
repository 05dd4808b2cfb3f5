// When a failed delivery is tried again (issue 26): exponential back-off, so a receiver that is down is asked
// less and less often, with jitter, so the deliveries that failed together (a receiver's outage) do not all come
// back in the same second when it returns.

/** No wait is longer than an hour: a receiver back after a long outage hears within the hour. */
export const MAX_RETRY_DELAY_MS = 60 * 60 * 1000;
/** ±10 % around the nominal wait. */
const JITTER = 0.1;

/**
 * The wait after the `attempts`-th failed attempt (1 for the first): `base`·2^(attempts−1), at most an hour, then
 * ±10 % jitter (never past the hour). `random` is in [0, 1) (Math.random; tests pin it).
 */
export function retryDelayMs(attempts: number, baseSeconds: number, random: () => number = Math.random): number {
  const nominal = Math.min(MAX_RETRY_DELAY_MS, baseSeconds * 1000 * 2 ** Math.max(0, attempts - 1));
  const jittered = nominal * (1 - JITTER + 2 * JITTER * random());
  return Math.round(Math.min(MAX_RETRY_DELAY_MS, jittered));
}
