// Where the language switcher sends the person back to: the page they were on, as a path of ours. Never an
// absolute URL or a scheme-relative one (an open redirect, RFC 9700 §4.11): only a path under our base path.
import type { Request } from 'express';

const MAX_RETURN_PATH = 2048;

/** The page being rendered, as a path the switcher can return to (a POST's page is GET the same path). */
export function returnPathOf(req: Request, basePath: string): string {
  const path = req.method === 'GET' ? req.originalUrl : req.originalUrl.split('?')[0];
  return safeReturnPath(path ?? '', basePath) ?? `${basePath}/`;
}

/** The path if it is one of ours, else null. */
export function safeReturnPath(value: string, basePath: string): string | null {
  if (value.length === 0 || value.length > MAX_RETURN_PATH) return null;
  if (!value.startsWith('/') || value.startsWith('//') || /[\\\s\x00-\x1f\x7f]/.test(value)) return null;
  if (basePath && value !== basePath && !value.startsWith(`${basePath}/`) && !value.startsWith(`${basePath}?`)) return null;
  // What a browser would make of it must still be our origin.
  const resolved = new URL(value, 'http://gatehouse.invalid');
  return resolved.origin === 'http://gatehouse.invalid' ? value : null;
}
