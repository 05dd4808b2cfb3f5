// An argon2 hash in the PHC string format ($argon2id$v=19$m=19456,t=2,p=1$salt$digest), read by name rather
// than by position: Gatehouse writes the canonical order m,t,p (src/auth/phc.ts), but hashes stored before it
// (argon2 0.45.1 writes m,p,t) are still read, and a test should hold either.

export interface Argon2Parameters {
  algorithm: string;
  version: number;
  /** Memory in KiB. */
  m: number;
  /** Iterations. */
  t: number;
  /** Lanes. */
  p: number;
}

/** The algorithm, version and parameters of a hash (or of its head without salt and digest); null if it is none. */
export function argon2Parameters(hash: string | null | undefined): Argon2Parameters | null {
  const match = /^\$(argon2(?:id|i|d))\$v=(\d+)\$([a-z]=\d+(?:,[a-z]=\d+)*)(?:\$|$)/.exec(hash ?? '');
  if (!match) return null;
  const pairs = (match[3] ?? '').split(',').map((pair) => pair.split('=') as [string, string]);
  const names = pairs.map(([name]) => name).sort();
  if (names.join(',') !== 'm,p,t') return null;
  const value = Object.fromEntries(pairs.map(([name, number]) => [name, Number(number)])) as Record<'m' | 't' | 'p', number>;
  return { algorithm: match[1] ?? '', version: Number(match[2]), m: value.m, t: value.t, p: value.p };
}

/** What hashPassword writes (src/auth/password-hash.ts, OWASP's minimum for argon2id). */
export const CURRENT_ARGON2: Argon2Parameters = { algorithm: 'argon2id', version: 19, m: 19456, t: 2, p: 1 };
