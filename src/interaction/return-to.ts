// Where a sign-in that did not come from an application (the admin screens, the account page) returns.
// Only our own pages qualify: an absolute URL, a scheme-relative `//host` or a backslash trick would make the
// login page an open redirector (RFC 9700 §4.11, OWASP ASVS V5.1.5).
import { routes } from '../http/routes.js';

/** Path prefixes (below the base path) a sign-in may return to: the admin screens, the account page, the device page (issue 22). */
const RETURNABLE = [routes.admin, routes.account, routes.device];

const MAX_LENGTH = 2048;

/** The path if it is one of our pages that may be returned to, else null. */
export function safeReturnPath(basePath: string, value: unknown): string | null {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_LENGTH) return null;
  // One leading slash, then no second slash or backslash that a browser would read as another host.
  if (!value.startsWith('/') || value.startsWith('//') || /[\\\u0000-\u001f\u007f]/.test(value)) return null;
  let parsed: URL;
  try {
    parsed = new URL(value, 'http://gatehouse.invalid');
  } catch {
    // Stryker disable next-line BlockStatement: unreachable; a value starting with one '/' and no backslash is a path-absolute reference, which parses against a valid base whatever follows
    return null;
  }
  if (parsed.origin !== 'http://gatehouse.invalid') return null;
  const path = parsed.pathname;
  // Stryker disable next-line StringLiteral: equivalent; a path that starts with basePath but not basePath + '/' leaves a local part without its leading '/', which no returnable prefix matches
  if (!path.startsWith(basePath + '/')) return null;
  const local = path.slice(basePath.length);
  if (!RETURNABLE.some((prefix) => local === prefix || local.startsWith(prefix + '/'))) return null;
  // The normalised form: dot segments are resolved, so /admin/../token cannot slip through.
  return parsed.pathname + parsed.search;
}

/** The login page URL that brings the person back to `returnTo` after signing in. */
export function loginUrlFor(basePath: string, returnTo: string): string {
  return `${basePath}${routes.login}?${new URLSearchParams({ return_to: returnTo }).toString()}`;
}
