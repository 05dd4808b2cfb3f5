// The one table of named routes. app.ts mounts them; discovery advertises them from the same names.

export const routes = {
  home: '/',
  discovery: '/.well-known/openid-configuration',
  jwks: '/jwks',
  authorization: '/authorize',
  token: '/token',
  userinfo: '/userinfo',
  revocation: '/revoke',
  introspection: '/introspect',
  deviceAuthorization: '/device_authorization',
  /** Issue 28: pushed authorization requests (RFC 9126 §2). */
  pushedAuthorization: '/par',
  device: '/device',
  endSession: '/logout',
  login: '/login',
  secondFactor: '/login/second-factor',
  newPassword: '/login/new-password',
  passkeySignInOptions: '/login/passkey/options',
  passkeySignIn: '/login/passkey',
  forgotPassword: '/forgot-password',
  resetPassword: '/reset-password',
  verifyEmail: '/verify-email',
  /** Issue 23: `/federation/<slug>/start` and the exact redirect URI `/federation/<slug>/callback` per provider. */
  federation: '/federation',
  /** Issue 24: the consent page (GET shows it for `?request=<pending id>`, POST decides). */
  consent: '/consent',
  /** Issue 24: RFC 7591 POST /register; the RFC 7592 client configuration endpoint is `/register/<client_id>`. */
  registration: '/register',
  /** Issue 25: the language switcher's form (POST). */
  language: '/language',
  /** Issue 25: the brand's logo, favicon and theme, from our origin (`/branding/logo`, `/branding/favicon`, `/branding/theme.css`). */
  branding: '/branding',
  account: '/account',
  admin: '/admin',
  /** Issue 26: Prometheus metrics (METRICS_TOKEN; or only on METRICS_PORT's listener). */
  metrics: '/metrics',
  /** Issue 26: the management API (`/api/v1/openapi.json` describes it). */
  managementApi: '/api/v1',
  health: '/healthz',
  readiness: '/readyz',
  static: '/static',
} as const;

export type RouteName = keyof typeof routes;

/** Discovery metadata whose value is one of our URLs (OIDC Discovery 1.0 §3), grown as endpoints land. */
export const advertisedEndpoints = {
  authorization_endpoint: 'authorization',
  token_endpoint: 'token',
  userinfo_endpoint: 'userinfo',
  jwks_uri: 'jwks',
  revocation_endpoint: 'revocation',
  introspection_endpoint: 'introspection',
  end_session_endpoint: 'endSession',
  device_authorization_endpoint: 'deviceAuthorization',
  pushed_authorization_request_endpoint: 'pushedAuthorization',
} as const satisfies Record<string, RouteName>;

/** Paths that machines call: an unknown path below them answers JSON, any other unknown path an HTML page. */
const API_PATHS = [
  '/.well-known/',
  routes.jwks,
  routes.health,
  routes.readiness,
  routes.token,
  routes.userinfo,
  routes.introspection,
  routes.revocation,
  routes.deviceAuthorization,
  routes.pushedAuthorization,
  routes.registration,
  routes.metrics,
  routes.managementApi,
];

export function isApiPath(path: string): boolean {
  return API_PATHS.some((prefix) => path === prefix || path.startsWith(prefix.endsWith('/') ? prefix : prefix + '/'));
}

/** Absolute URL of a route under the issuer (OIDC Discovery 1.0 §4: endpoints share the issuer's base). */
export function routeUrl(issuer: string, name: RouteName): string {
  return issuer.replace(/\/+$/, '') + routes[name];
}
