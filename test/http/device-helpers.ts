// The device authorization grant (RFC 8628) from both sides, for the device-*.test.ts suites: clients registered
// through the store (grant types including the device grant), the device's requests (/device_authorization, then
// polling /token), and the person's browser at /device (sign in, type the code, Allow or Deny).
import { expect } from 'vitest';
import { hashSecret, randomId, randomSecret } from '../../src/auth/secrets.js';
import { DEVICE_CODE_GRANT, type ClientRecord, type DeviceCodeRecord, type NewClient } from '../../src/store/records.js';
import { Browser, formFields, type Page } from '../helpers/browser.js';
import { PASSWORD } from '../helpers/oidc.js';
import type { RunningApp } from '../helpers/start-app.js';

export interface DeviceClient {
  record: ClientRecord;
  /** Null for a public client. */
  secret: string | null;
}

export type DeviceClientOptions = Partial<Omit<NewClient, 'clientId' | 'secretHash' | 'clientType' | 'tokenEndpointAuthMethod'>> & {
  public?: boolean;
  requireMfa?: boolean;
  accessPolicy?: ClientRecord['accessPolicy'];
  accessGroups?: string[];
};

/** A client that may use the device grant (and refresh), registered straight in the store. */
export async function addDeviceClient(app: RunningApp, options: DeviceClientOptions = {}): Promise<DeviceClient> {
  const { public: isPublic = false, ...rest } = options;
  const secret = isPublic ? null : randomSecret();
  const record = await app.store.clients.create(
    {
      clientId: randomId(),
      name: 'Living-room TV',
      clientType: isPublic ? 'public' : 'confidential',
      secretHash: secret === null ? null : hashSecret(secret),
      tokenEndpointAuthMethod: isPublic ? 'none' : 'client_secret_basic',
      redirectUris: [],
      postLogoutRedirectUris: [],
      backchannelLogoutUri: null,
      grantTypes: [DEVICE_CODE_GRANT, 'refresh_token'],
      scopes: ['openid', 'profile', 'email', 'offline_access'],
      pkceRequired: true,
      ...rest,
    },
    app.clock.now(),
  );
  return { record, secret };
}

export interface Answer {
  status: number;
  headers: Headers;
  json: Record<string, unknown>;
}

/** The client's credentials: Basic for a confidential client, client_id in the body for a public one. */
function credentials(client: DeviceClient): { headers: Record<string, string>; body: Record<string, string> } {
  if (client.secret === null) return { headers: {}, body: { client_id: client.record.clientId } };
  const basic = Buffer.from(`${encodeURIComponent(client.record.clientId)}:${encodeURIComponent(client.secret)}`).toString('base64');
  return { headers: { Authorization: `Basic ${basic}` }, body: {} };
}

async function postForm(app: RunningApp, path: string, client: DeviceClient, fields: Record<string, string> | URLSearchParams): Promise<Answer> {
  const auth = credentials(client);
  const body = new URLSearchParams(fields);
  for (const [name, value] of Object.entries(auth.body)) body.set(name, value);
  const response = await fetch(`${app.url}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...auth.headers },
    body: body.toString(),
  });
  // RFC 8628 §3.2 and RFC 6749 §5.1: every answer of both endpoints is JSON no cache keeps.
  expect(response.headers.get('cache-control')).toBe('no-store');
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  return { status: response.status, headers: response.headers, json: (await response.json()) as Record<string, unknown> };
}

/** POST /device_authorization. */
export function authorizeDevice(app: RunningApp, client: DeviceClient, fields: Record<string, string> | URLSearchParams = {}): Promise<Answer> {
  return postForm(app, '/device_authorization', client, fields);
}

export interface DeviceStart {
  deviceCode: string;
  userCode: string;
  verificationUriComplete: string;
  interval: number;
}

/** A device authorization that must succeed. */
export async function startDevice(app: RunningApp, client: DeviceClient, fields: Record<string, string> | URLSearchParams = { scope: 'openid profile' }): Promise<DeviceStart> {
  const answer = await authorizeDevice(app, client, fields);
  expect(answer.status, JSON.stringify(answer.json)).toBe(200);
  return {
    deviceCode: answer.json.device_code as string,
    userCode: answer.json.user_code as string,
    verificationUriComplete: answer.json.verification_uri_complete as string,
    interval: answer.json.interval as number,
  };
}

/** One poll of the token endpoint with the device code. */
export function poll(app: RunningApp, client: DeviceClient, deviceCode: string, extra: Record<string, string> = {}): Promise<Answer> {
  return postForm(app, '/token', client, { grant_type: DEVICE_CODE_GRANT, device_code: deviceCode, ...extra });
}

/** The authorization as the store has it. */
export async function stored(app: RunningApp, start: DeviceStart): Promise<DeviceCodeRecord> {
  const record = await app.store.deviceCodes.find(hashSecret(start.deviceCode));
  expect(record).not.toBeNull();
  return record as DeviceCodeRecord;
}

/** Signs in through /device: sent to the login page, back to /device (with `query`). Returns the device page. */
export async function signInAtDevice(app: RunningApp, email: string, browser = new Browser(), query = ''): Promise<Page> {
  const first = await browser.get(`${app.url}/device${query}`);
  expect(first.status, first.body).toBe(303);
  const login = await browser.get(first.location ?? '');
  expect(login.status, login.body).toBe(200);
  const answer = await browser.postForm(`${app.url}/login`, { ...formFields(login.body), email, password: PASSWORD });
  expect(answer.status, answer.body).toBe(303);
  const page = await browser.get(answer.location ?? '');
  expect(page.status, page.body).toBe(200);
  return page;
}

export function csrfOf(page: Page): string {
  const token = /name="csrf" value="([^"]+)"/.exec(page.body)?.[1];
  if (!token) throw new Error(`no CSRF token on the page (status ${page.status}): ${page.body.slice(0, 500)}`);
  return token;
}

/** The device page's form, filled with `code` and sent. */
export async function enterCode(app: RunningApp, browser: Browser, code: string): Promise<Page> {
  const form = await browser.get(`${app.url}/device`);
  expect(form.status, form.body).toBe(200);
  return browser.postForm(`${app.url}/device`, { csrf: csrfOf(form), user_code: code });
}

/** The approval page's form sent with Allow or Deny. */
export function decide(app: RunningApp, browser: Browser, approval: Page, decision: 'allow' | 'deny'): Promise<Page> {
  expect(approval.status, approval.body).toBe(200);
  const fields = formFields(approval.body);
  expect(fields.request).toBeTruthy();
  return browser.postForm(`${app.url}/device/decision`, { csrf: fields.csrf ?? '', request: fields.request ?? '', decision });
}

/** Types the code and chooses: the whole of the person's part. */
export async function approve(app: RunningApp, browser: Browser, code: string, decision: 'allow' | 'deny' = 'allow'): Promise<Page> {
  const approval = await enterCode(app, browser, code);
  const done = await decide(app, browser, approval, decision);
  expect(done.status, done.body).toBe(200);
  return done;
}
