// Where the language switcher sends the person back to: the page they were on, as a path of ours. Never an
// absolute URL or a scheme-relative one (an open redirect, RFC 9700 §4.11): only a path under our base path.
import type { Request } from 'express';

const MAX_RETURN_PATH = 2048;

/**
 * The fields of a form that say which flow a page belongs to: the pending sign-in (`request`) and the page of ours
 * a sign-in returns to (`return_to`). A page answering a POST (a form shown again with its error) is the GET of
 * the same path with them, so switching language there does not lose the sign-in.
 */
const FLOW_FIELDS = ['request', 'return_to'] as const;

/** Query parameters that are credentials (OIDC Core §3.1.2.1, RP-Initiated Logout §2): never copied into a page. */
const CREDENTIAL_PARAMETERS = ['id_token_hint'] as const;

/** The page being rendered, as a path the switcher can return to. */
export function returnPathOf(req: Request, basePath: string): string {
  let path = req.originalUrl;
  if (req.method === 'GET') {
    const [bare = '', search] = path.split(/\?(.*)/s);
    const query = new URLSearchParams(search ?? '');
    if (CREDENTIAL_PARAMETERS.some((name) => query.has(name))) {
      for (const name of CREDENTIAL_PARAMETERS) query.delete(name);
      path = query.size > 0 ? `${bare}?${query.toString()}` : bare;
    }
  } else {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const query = new URLSearchParams();
    for (const name of FLOW_FIELDS) {
      const value = body[name];
      if (typeof value === 'string' && value.length > 0 && value.length <= MAX_RETURN_PATH) query.set(name, value);
    }
    const bare = req.originalUrl.split('?')[0] ?? '';
    path = query.size > 0 ? `${bare}?${query.toString()}` : bare;
  }
  return safeReturnPath(path, basePath) ?? `${basePath}/`;
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
