// What the dynamic client registration tests share (RFC 7591 POST /register, RFC 7592 /register/<client_id>):
// requests from a chosen client address (so that each test has its own registration budget, as ./from-address.ts
// explains), initial access tokens made as the `idp` tool makes them, and counts of what is stored.
import type { Resolver } from '../../src/http/outbound-request.js';
import { createRegistrationToken, type RegistrationTokenInput } from '../../src/manage/registration-tokens.js';
import type { RegistrationTokenRecord } from '../../src/store/records.js';
import { manage } from '../helpers/oidc.js';
import { startApp, type RunningApp, type StartOptions } from '../helpers/start-app.js';
import { requestFrom, type AddressAnswer } from './from-address.js';

/** A redirect URI every registration may use. */
export const REDIRECT_URI = 'https://rp.example/callback';

/** Minimal valid metadata: one https redirect URI (the rest defaults). */
export const MINIMAL = { redirect_uris: [REDIRECT_URI], client_name: 'Outside app' };

let nextAddress = 1;
/** A fresh client address in 127.0.0.0/8 for each call: its own throttle budget. */
export function freshAddress(): string {
  nextAddress += 1;
  return `127.0.${Math.floor(nextAddress / 250) + 40}.${(nextAddress % 250) + 1}`;
}

export interface RegisterOptions {
  /** The bearer token (an initial access token); none by default. */
  token?: string;
  /** The raw body instead of JSON.stringify(metadata). */
  body?: string;
  contentType?: string;
  from?: string;
  headers?: Record<string, string>;
}

/** POST /register from a client address. */
export function register(app: { config: { issuer: string } }, metadata: unknown, options: RegisterOptions = {}): Promise<AddressAnswer> {
  return requestFrom(options.from ?? freshAddress(), `${app.config.issuer}/register`, {
    method: 'POST',
    headers: {
      'Content-Type': options.contentType ?? 'application/json',
      Accept: 'application/json',
      ...(options.token === undefined ? {} : { Authorization: `Bearer ${options.token}` }),
      ...options.headers,
    },
    body: options.body ?? JSON.stringify(metadata),
  });
}

/** A call to the client configuration endpoint (RFC 7592) with a registration access token. */
export function configuration(url: string, method: 'GET' | 'PUT' | 'DELETE', token: string | null, body?: unknown, from: string = freshAddress()): Promise<AddressAnswer> {
  return requestFrom(from, url, {
    method,
    headers: {
      Accept: 'application/json',
      ...(token === null ? {} : { Authorization: `Bearer ${token}` }),
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

/** An initial access token, as `idp registration token create` makes one. */
export async function initialToken(app: RunningApp, input: RegistrationTokenInput = {}): Promise<{ token: string; record: RegistrationTokenRecord }> {
  return createRegistrationToken({ ...manage(app), actor: 'cli' }, input, 'cli');
}

/** The token's record as stored now. */
export async function tokenRecord(app: RunningApp, id: string): Promise<RegistrationTokenRecord | undefined> {
  return (await app.store.registrationTokens.list()).find((record) => record.id === id);
}

export const clientCount = (app: RunningApp) => app.store.clients.count();

/** An app whose registration mode (and other settings) are set by the environment. */
export function startRegistrationApp(mode: 'closed' | 'open' | 'token', env: Record<string, string> = {}, options: Omit<StartOptions, 'env'> & { resolve?: Resolver } = {}): Promise<RunningApp> {
  return startApp({ ...options, env: { DYNAMIC_REGISTRATION: mode, ...env } } as StartOptions);
}
