// A relying application built with express-openid-connect, as a customer would write one, listening on a
// loopback address of its own so that its cookies never mix with ours or another application's.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { auth, requiresAuth } from 'express-openid-connect';

export interface RelyingApp {
  baseUrl: string;
  redirectUri: string;
  stop(): Promise<void>;
}

/** Reserves a port on `host` so the redirect URI can be registered before the app is configured. */
export async function reserve(host: string): Promise<{ server: http.Server; baseUrl: string }> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return { server, baseUrl: `http://${host}:${(server.address() as AddressInfo).port}` };
}

export function startRelyingApp(reserved: { server: http.Server; baseUrl: string }, issuer: string, clientId: string, clientSecret: string): RelyingApp {
  const app = express();
  app.use(
    auth({
      issuerBaseURL: issuer,
      baseURL: reserved.baseUrl,
      clientID: clientId,
      clientSecret,
      secret: 'a-test-only-cookie-secret-of-enough-length-1234567890',
      authRequired: false,
      idpLogout: false,
      authorizationParams: { response_type: 'code', scope: 'openid email profile' },
    }),
  );
  app.get('/', requiresAuth(), (req, res) => {
    res.type('text/plain').send(`Hello ${String(req.oidc.user?.email)} (${String(req.oidc.user?.sub)})`);
  });
  reserved.server.on('request', app);
  return {
    baseUrl: reserved.baseUrl,
    redirectUri: `${reserved.baseUrl}/callback`,
    stop: () =>
      new Promise<void>((resolve) => {
        reserved.server.closeAllConnections();
        reserved.server.close(() => resolve());
      }),
  };
}
