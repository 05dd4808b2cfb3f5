// Password hashes in the canonical PHC string format, readable outside Gatehouse (issue 20). The PHC string format
// fixes the order of Argon2's parameters as m, t, p (https://github.com/P-H-C/phc-string-format, "Argon2
// Encoding"), and the reference library (libargon2: PHP's password_verify, Python's argon2-cffi, most Java and
// Go bindings) reads nothing else. node-argon2 0.45 writes m, p, t (node-argon2 issue 559) and reads either, so
// every hash Gatehouse stores is put in canonical order here, and one stored in the old order is rewritten at the
// next successful sign-in (src/auth/authenticate.ts) and by `idp import`.

/** `$argon2id$v=19$m=…,t=…,p=…$salt$hash`, and its parts. */
const ARGON2 = /^\$(argon2(?:id|i|d))\$v=(\d+)\$([^$]+)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;
const CANONICAL_ORDER = ['m', 't', 'p'] as const;

/**
 * The hash with its parameters in the canonical order m, t, p; anything else about it unchanged. A string that is
 * not an argon2 PHC string, or whose parameters are not exactly m, t and p once each as decimal numbers, comes back
 * as it is: verification will refuse it as it would have before.
 */
export function canonicalArgon2(hash: string): string {
  const match = ARGON2.exec(hash);
  if (!match) return hash;
  const [, variant, version, params, salt, digest] = match;
  const pairs = (params ?? '').split(',').map((pair) => pair.split('='));
  const values = new Map<string, string>();
  for (const [name, value, ...rest] of pairs) {
    if (name === undefined || value === undefined || rest.length > 0 || !/^\d+$/.test(value) || values.has(name)) return hash;
    values.set(name, value);
  }
  if (values.size !== CANONICAL_ORDER.length || !CANONICAL_ORDER.every((name) => values.has(name))) return hash;
  const ordered = CANONICAL_ORDER.map((name) => `${name}=${values.get(name)}`).join(',');
  return `$${variant}$v=${version}$${ordered}$${salt}$${digest}`;
}

/** Whether the stored hash is an argon2 PHC string already in canonical order. */
export function isCanonicalArgon2(hash: string): boolean {
  return ARGON2.test(hash) && canonicalArgon2(hash) === hash && /\$m=\d+,t=\d+,p=\d+\$/.test(hash);
}
