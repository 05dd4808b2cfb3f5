// Machine clients for the HTTP tests (issue 22): clients registered straight in the store (client_credentials,
// with a secret or with private_key_jwt keys inline or behind a jwks_uri), openid-client configured for them,
// client assertions signed by hand (for the refusals openid-client would never send), a loopback server publishing
// a JWKS whose answers a test changes, and readers of what a request wrote (access-token records, audit events).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JSONWebKeySet, type JWK, type JWTPayload } from 'jose';
import * as oidc from 'openid-client';
import { hashSecret, randomId, randomSecret } from '../../src/auth/secrets.js';
import { CLIENT_CREDENTIALS_GRANT, type AuditEventRecord, type ClientApiGrant, type ClientRecord } from '../../src/store/records.js';
import { countRows } from '../helpers/rows.js';
import type { RunningApp } from '../helpers/start-app.js';

export const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** How a machine client authenticates: a secret, its keys inline, or its keys at a URL. */
export type MachineAuth = { secret: true } | { jwks: JSONWebKeySet } | { jwksUri: string } | { public: true };

export interface MachineClient {
  clientId: string;
  /** The secret of a secret client; null otherwise. */
  secret: string | null;
}

export interface MachineInput {
  auth: MachineAuth;
  grants?: ClientApiGrant[];
  grantTypes?: string[];
  name?: string;
}

/** Registers a client as `idp client create --machine` would (through the store, before the manage layer). */
export async function addMachine(app: RunningApp, input: MachineInput): Promise<MachineClient> {
  const clientId = `machine-${randomId().slice(0, 12)}`;
  const secret = 'secret' in input.auth ? randomSecret() : null;
  const isPublic = 'public' in input.auth;
  const fields: Pick<ClientRecord, 'clientType' | 'secretHash' | 'tokenEndpointAuthMethod' | 'jwks' | 'jwksUri'> = {
    clientType: isPublic ? 'public' : 'confidential',
    secretHash: secret === null ? null : hashSecret(secret),
    tokenEndpointAuthMethod: secret !== null ? 'client_secret_basic' : isPublic ? 'none' : 'private_key_jwt',
    jwks: 'jwks' in input.auth ? JSON.stringify(input.auth.jwks) : null,
    jwksUri: 'jwksUri' in input.auth ? input.auth.jwksUri : null,
  };
  await app.store.clients.create(
    {
      clientId,
      name: input.name ?? clientId,
      ...fields,
      redirectUris: [],
      postLogoutRedirectUris: [],
      backchannelLogoutUri: null,
      grantTypes: input.grantTypes ?? [CLIENT_CREDENTIALS_GRANT],
      scopes: [],
      pkceRequired: true,
    },
    app.clock.now(),
  );
  if (input.grants) await app.store.apis.setGrants(clientId, input.grants);
  return { clientId, secret };
}

/** openid-client configured by discovery for a client and its authentication method. */
export function machineConfig(app: RunningApp, clientId: string, auth: oidc.ClientAuth): Promise<oidc.Configuration> {
  return oidc.discovery(new URL(app.config.issuer), clientId, undefined, auth, { execute: [oidc.allowInsecureRequests] });
}

export interface SigningKey {
  privateKey: CryptoKey;
  /** The public JWK with its kid (RFC 7638 thumbprint) and `use: sig`, as a client publishes it. */
  publicJwk: JWK;
  kid: string;
  alg: 'RS256' | 'PS256' | 'ES256';
}

export async function newKey(alg: SigningKey['alg'] = 'RS256'): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(jwk, 'sha256');
  return { privateKey, publicJwk: { ...jwk, kid, use: 'sig' }, kid, alg };
}

export const jwksOf = (...keys: SigningKey[]): JSONWebKeySet => ({ keys: keys.map((key) => key.publicJwk) });

/** openid-client's private_key_jwt with this key (its kid in the header). */
export const keyAuth = (key: SigningKey): oidc.ClientAuth => oidc.PrivateKeyJwt({ key: key.privateKey, kid: key.kid });

/**
 * A client assertion as RFC 7523 §3 describes it, for `clientId`, at the app's time: aud the issuer, 60 s of life,
 * a fresh jti; `claims` and `header` change or add to it (a claim set to undefined is left out).
 */
export async function assertion(app: RunningApp, clientId: string, key: SigningKey, claims: JWTPayload = {}, header: Record<string, unknown> = {}): Promise<string> {
  const now = Math.floor(app.clock.now() / 1000);
  const payload: JWTPayload = { iss: clientId, sub: clientId, aud: app.config.issuer, iat: now, exp: now + 60, jti: randomId(), ...claims };
  for (const [name, value] of Object.entries(payload)) if (value === undefined) delete payload[name];
  return new SignJWT(payload).setProtectedHeader({ alg: key.alg, kid: key.kid, ...header } as { alg: string }).sign(key.privateKey);
}

export interface Answer {
  status: number;
  headers: Headers;
  json: Record<string, any>;
}

/** A raw form POST to one of the app's endpoints (for what openid-client would never send). */
export async function postForm(app: RunningApp, endpoint: 'token' | 'introspect' | 'revoke', fields: Record<string, string>, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await fetch(`${app.config.issuer}/${endpoint}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(fields).toString(),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, json: text.startsWith('{') ? (JSON.parse(text) as Record<string, any>) : {} };
}

/** A client_credentials request authenticated by this assertion. */
export function tokenWithAssertion(app: RunningApp, clientAssertion: string, fields: Record<string, string> = {}): Promise<Answer> {
  return postForm(app, 'token', { grant_type: 'client_credentials', client_assertion_type: JWT_BEARER, client_assertion: clientAssertion, ...fields });
}

export interface Refusal {
  status: number;
  error: string;
  description: string;
}

/** The OAuth error an openid-client call was refused with (it throws ResponseBodyError). */
export async function refusal(call: Promise<unknown>): Promise<Refusal> {
  try {
    await call;
  } catch (error) {
    if (error instanceof oidc.ResponseBodyError) return { status: error.status, error: error.error, description: error.error_description ?? '' };
    throw error;
  }
  throw new Error('the request was not refused');
}

export function accessTokenRecords(app: RunningApp, clientId: string): Promise<number> {
  return countRows(app, 'SELECT count(*) AS n FROM access_tokens WHERE client_id = ?', [clientId]);
}

/** The client's client_auth.failed events, newest first. */
export function authFailures(app: RunningApp, clientId: string): Promise<AuditEventRecord[]> {
  return app.store.audit.list({ limit: 100, filter: { type: 'client_auth.failed', clientId } });
}

/** What a loopback JWKS server answers: the set, or a failure a test chose. */
export type JwksBehaviour = 'serve' | 'hang' | 'too_big' | 'html' | 'redirect' | 'error';

export interface JwksServer {
  url: string;
  /** How many requests it received. */
  requests: number;
  keys: JSONWebKeySet;
  behaviour: JwksBehaviour;
  stop(): Promise<void>;
}

/** A client's JWKS endpoint on loopback, started and stopped by the test. */
export async function startJwksServer(keys: JSONWebKeySet): Promise<JwksServer> {
  const server = http.createServer();
  const state: JwksServer = {
    url: '',
    requests: 0,
    keys,
    behaviour: 'serve',
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  server.on('request', (_req: http.IncomingMessage, res: http.ServerResponse) => {
    state.requests += 1;
    switch (state.behaviour) {
      case 'serve':
        res.writeHead(200, { 'Content-Type': 'application/jwk-set+json' }).end(JSON.stringify(state.keys));
        return;
      case 'hang':
        // Headers and the start of a body, then nothing: only the timeout ends the request.
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.write('{"keys": [');
        return;
      case 'too_big':
        // No Content-Length: the limit must hold while the body streams in.
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ ...state.keys, padding: 'x'.repeat(70 * 1024) }));
        return;
      case 'html':
        res.writeHead(200, { 'Content-Type': 'text/html' }).end(JSON.stringify(state.keys));
        return;
      case 'redirect':
        res.writeHead(302, { Location: `${state.url}?moved` }).end();
        return;
      case 'error':
        res.writeHead(500).end();
        return;
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
  return state;
}

/** A loopback URL nobody listens on. */
export async function deadUrl(): Promise<string> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}/jwks.json`;
}
