// Security headers on every response (OWASP ASVS V14.4), via helmet.
import type { Response } from 'express';
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

/**
 * The policy of a page whose form leads, by redirect, to an application: browsers apply form-action to
 * every redirect after a form submission, so the application's origin must be allowed too.
 */
export function formActionPolicy(res: Pick<Response, 'getHeader'>, redirectUri: string): string {
  let origin = '';
  try {
    origin = new URL(redirectUri).origin;
  } catch {
    // no extra origin: the redirect will be refused by the browser rather than widen the policy
  }
  const formAction = ["form-action 'self'", ...(origin && origin !== 'null' ? [origin] : [])].join(' ');
  // The site-wide policy helmet set on this response, with only form-action widened: everything else it holds
  // (upgrade-insecure-requests on an https issuer among it) stays as it is.
  const current = res.getHeader('Content-Security-Policy');
  const base =
    typeof current === 'string'
      ? current
      : Object.entries(CSP_DIRECTIVES)
          .map(([name, values]) => `${name} ${values.join(' ')}`)
          .join(';');
  return base
    .split(';')
    .map((directive) => (directive.trim().startsWith('form-action') ? formAction : directive))
    .join(';');
}

/** `https` is false only for a loopback development issuer, where HSTS and upgrades would break the page. */
export function securityHeaders({ https }: { https: boolean }) {
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
