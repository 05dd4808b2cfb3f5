// Security headers on every response (OWASP ASVS V14.4), via helmet.
import helmet from 'helmet';

/** `https` is false only for a loopback development issuer, where HSTS and upgrades would break the page. */
export function securityHeaders({ https }: { https: boolean }) {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: true,
      directives: {
        // No inline script or style anywhere (our views use none), no plugins, never framed (clickjacking).
        'default-src': ["'self'"],
        'script-src': ["'self'"],
        'style-src': ["'self'"],
        'img-src': ["'self'", 'data:'],
        'object-src': ["'none'"],
        'frame-ancestors': ["'none'"],
        'base-uri': ["'none'"],
        'upgrade-insecure-requests': https ? [] : null,
      },
    },
    strictTransportSecurity: https ? { maxAge: 31536000, includeSubDomains: true } : false,
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    // Discovery and JWKS are fetched cross-origin by relying applications; cors.ts widens CORP there.
    crossOriginResourcePolicy: { policy: 'same-origin' },
  });
}
