// Security headers on every response (OWASP ASVS V14.4), via helmet.
import type { NextFunction, Request, Response } from 'express';
import helmet from 'helmet';

const CSP_DIRECTIVES = {
  // No inline script or style anywhere (our views use none), no plugins, never framed (clickjacking).
  'default-src': ["'self'"],
  'script-src': ["'self'"],
  'script-src-attr': ["'none'"],
  'font-src': ["'self'"],
  'style-src': ["'self'"],
  'img-src': ["'self'", 'data:'],
  'object-src': ["'none'"],
  'frame-ancestors': ["'none'"],
  'base-uri': ["'none'"],
  'form-action': ["'self'"],
};

/** The site-wide policy helmet set on this response (else the directives above), as one header value. */
function currentPolicy(res: Pick<Response, 'getHeader'>): string {
  const current = res.getHeader('Content-Security-Policy');
  return typeof current === 'string'
    ? current
    : Object.entries(CSP_DIRECTIVES)
        .map(([name, values]) => `${name} ${values.join(' ')}`)
        .join(';');
}

/**
 * The policy with one directive replaced: everything else helmet set on this response (upgrade-insecure-requests
 * on an https issuer among it) stays as it is.
 */
function withDirective(res: Pick<Response, 'getHeader'>, name: string, value: string): string {
  return currentPolicy(res)
    .split(';')
    .map((directive) => (directive.trim().split(' ')[0] === name ? value : directive))
    .join(';');
}

/** The origin of an absolute URL, or null (an opaque origin widens nothing). */
function originOf(url: string): string | null {
  try {
    const origin = new URL(url).origin;
    return origin === 'null' ? null : origin;
  } catch {
    return null;
  }
}

/**
 * The policy of a page whose form leads, by redirect, to an application: browsers apply form-action to
 * every redirect after a form submission, so the application's origin must be allowed too.
 */
export function formActionPolicy(res: Pick<Response, 'getHeader'>, redirectUri: string): string {
  const origin = originOf(redirectUri);
  return withDirective(res, 'form-action', ["form-action 'self'", ...(origin ? [origin] : [])].join(' '));
}

/**
 * The policy of a page that shows images from these https URLs (the applications' logos on the account page,
 * issue 21): img-src widened by exactly their origins, not by every https origin, so a page of ours loads no
 * image an administrator did not register.
 */
export function imagePolicy(res: Pick<Response, 'getHeader'>, imageUrls: readonly string[]): string {
  const origins = [...new Set(imageUrls.filter((url) => url.startsWith('https:')).map(originOf))].filter((origin): origin is string => origin !== null);
  return withDirective(res, 'img-src', [`img-src ${CSP_DIRECTIVES['img-src'].join(' ')}`, ...origins].join(' '));
}

/** `https` is false only for a loopback development issuer, where HSTS and upgrades would break the page. */
function helmetMiddleware({ https }: { https: boolean }) {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: true,
      directives: { ...CSP_DIRECTIVES, 'upgrade-insecure-requests': https ? [] : null },
    },
    strictTransportSecurity: https ? { maxAge: 31536000, includeSubDomains: true } : false,
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    // Discovery and JWKS are fetched cross-origin by relying applications; cors.ts widens CORP there.
    crossOriginResourcePolicy: { policy: 'same-origin' },
  });
}

type Headers = [string, string][];

/**
 * The headers helmet sets on every response, read by running it once against a recording response. Helmet's
 * answer depends on its options alone (no directive of ours is a function of the request), so it is the same for
 * every request: helmet stays the one source of truth, and a request pays for setting the headers only (issue 27:
 * helmet's dozen nested middlewares ran on every token request).
 */
export function capturedSecurityHeaders(https: boolean): Headers {
  const recorded: Headers = [];
  const res = {
    setHeader: (name: string, value: string | number) => recorded.push([name, String(value)]),
    removeHeader: (name: string) => recorded.splice(0, recorded.length, ...recorded.filter(([n]) => n.toLowerCase() !== name.toLowerCase())),
    getHeader: () => undefined,
  };
  // A property, not a local: TypeScript would take a local `false` for false still after the callback set it.
  const finished = { called: false };
  helmetMiddleware({ https })({ headers: {} } as never, res as never, () => {
    finished.called = true;
  });
  if (!finished.called) throw new Error('helmet did not finish synchronously');
  return recorded;
}

/** `https` is false only for a loopback development issuer, where HSTS and upgrades would break the page. */
export function securityHeaders({ https }: { https: boolean }) {
  const headers = capturedSecurityHeaders(https);
  return (_req: Request, res: Response, next: NextFunction): void => {
    for (const [name, value] of headers) res.setHeader(name, value);
    next();
  };
}
