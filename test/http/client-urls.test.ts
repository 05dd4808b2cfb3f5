// Issue 19, N1: an administrator-registered back-channel logout URI must not let Gatehouse probe internal hosts and
// ports. Outside development (an issuer that is not on loopback) a private, loopback, link-local or other
// special-purpose address is refused at registration with a field error, by the shared rules of the admin screens
// and `idp client` (src/manage/clients.ts, src/manage/client-urls.ts); ALLOW_PRIVATE_CLIENT_URLS=true allows it.
// (Delivery-time refusal, for names that resolve to such addresses: backchannel-logout.test.ts.)
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { ValidationError } from '../../src/errors.js';
import { createClient, setClientRequireMfa, updateClient, type ClientContext, type NewClientInput } from '../../src/manage/clients.js';
import { signedInAdmin, type SignedInAdmin } from '../helpers/admin.js';
import type { Page } from '../helpers/browser.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';

const PRIVATE_MESSAGE = 'points at a private, loopback, link-local or other special-purpose address';
const fieldError = (page: Page, field: string) => new RegExp(`<p class="field-error" id="${field}-error">([^<]*)</p>`).exec(page.body)?.[1] ?? null;

describe('back-channel logout URIs on private addresses (issue 19, N1)', () => {
  let app: RunningApp;

  /** The management context of a server configured by `env` (not served: only its rules are used), on the app's store. */
  function contextOf(env: Record<string, string>): ClientContext {
    const config = loadConfig({ DATA_DIR: path.join(app.dir, 'unused'), ...env }, app.dir);
    return { store: app.store, clock: app.clock, passwordMinLength: config.passwordMinLength, actor: 'test', config };
  }

  const publicIssuer = () => contextOf({ ISSUER: 'https://idp.example' });
  const register = (ctx: ClientContext, backchannelLogoutUri: string, extra: Partial<NewClientInput> = {}) =>
    createClient(ctx, { name: 'Internal', redirectUris: ['https://rp.example/cb'], backchannelLogoutUri, ...extra });

  async function refusal(attempt: Promise<unknown>): Promise<ValidationError> {
    const error = await attempt.then(
      () => null,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(ValidationError);
    return error as ValidationError;
  }

  beforeAll(async () => {
    app = await startApp();
  });
  afterAll(async () => {
    await app?.stop();
  });

  describe('registration under a public issuer', () => {
    it.each(['http://10.0.0.1/', 'http://169.254.169.254/', 'http://[::1]/', 'http://[::ffff:127.0.0.1]/', 'https://192.168.1.10/bc', 'https://localhost/bc', 'https://[fd00::5]/bc'])(
      'refuses %s with a field error on backchannel_logout_uri, and writes nothing',
      async (uri) => {
        const [count, [lastEvent]] = [await app.store.clients.count(), await app.store.audit.list({ limit: 1 })];
        const error = await refusal(register(publicIssuer(), uri));
        expect(error.field).toBe('backchannel_logout_uri');
        expect(error.message).toContain(`backchannel_logout_uri ${JSON.stringify(uri)} ${PRIVATE_MESSAGE}`);
        expect(error.message).toContain('ALLOW_PRIVATE_CLIENT_URLS=true');
        expect(await app.store.clients.count()).toBe(count);
        expect((await app.store.audit.list({ limit: 1 }))[0]?.id).toBe(lastEvent?.id);
      },
    );

    it.each(['https://10.0.0.1/bc', 'https://169.254.169.254/bc', 'http://[::1]/bc', 'https://[::ffff:127.0.0.1]/bc'])('accepts %s with ALLOW_PRIVATE_CLIENT_URLS=true', async (uri) => {
      const { client } = await register(contextOf({ ISSUER: 'https://idp.example', ALLOW_PRIVATE_CLIENT_URLS: 'true' }), uri);
      expect((await app.store.clients.findById(client.clientId))?.backchannelLogoutUri).toBe(uri);
    });

    it('keeps requiring https off loopback even with ALLOW_PRIVATE_CLIENT_URLS=true', async () => {
      const error = await refusal(register(contextOf({ ISSUER: 'https://idp.example', ALLOW_PRIVATE_CLIENT_URLS: 'true' }), 'http://10.0.0.1/'));
      expect(error.message).toMatch(/uses http on a host that is not loopback/);
    });

    it('accepts a public receiver, and loopback redirect URIs (the browser follows those, not the server: RFC 8252 §7.3)', async () => {
      const { client } = await register(publicIssuer(), 'https://rp.example/backchannel-logout', { redirectUris: ['http://127.0.0.1:8080/cb'] });
      expect(client).toMatchObject({ backchannelLogoutUri: 'https://rp.example/backchannel-logout', redirectUris: ['http://127.0.0.1:8080/cb'] });
    });
  });

  describe('registration under a loopback issuer (development)', () => {
    it('accepts a loopback receiver by default, as the demo and the docker-compose example register', async () => {
      const { client } = await register(contextOf({ ISSUER: 'http://localhost:3000' }), 'http://127.0.0.1:3001/backchannel-logout');
      expect(client.backchannelLogoutUri).toBe('http://127.0.0.1:3001/backchannel-logout');
    });

    it('refuses it with ALLOW_PRIVATE_CLIENT_URLS=false', async () => {
      const error = await refusal(register(contextOf({ ISSUER: 'http://localhost:3000', ALLOW_PRIVATE_CLIENT_URLS: 'false' }), 'http://127.0.0.1:3001/backchannel-logout'));
      expect(error.message).toContain(PRIVATE_MESSAGE);
    });
  });

  describe('editing under a public issuer', () => {
    it('refuses a new private back-channel logout URI and writes nothing', async () => {
      const { client } = await register(publicIssuer(), 'https://rp.example/bc');
      const error = await refusal(updateClient(publicIssuer(), client.clientId, { name: client.name, redirectUris: client.redirectUris, backchannelLogoutUri: 'https://169.254.169.254/bc' }));
      expect(error.field).toBe('backchannel_logout_uri');
      expect(await app.store.clients.findById(client.clientId)).toEqual(client);
    });

    it('still edits the rest of a client whose stored URI predates the rule (each delivery checks it)', async () => {
      // Registered while private addresses were allowed (an earlier version, or the flag since turned off).
      const { client } = await register({ ...publicIssuer(), config: { allowPrivateClientUrls: true } }, 'http://127.0.0.1:3001/bc');
      const renamed = await updateClient(publicIssuer(), client.clientId, { name: 'Renamed', redirectUris: client.redirectUris, backchannelLogoutUri: client.backchannelLogoutUri });
      expect(renamed.changed).toEqual(['client_name']);
      expect((await setClientRequireMfa(publicIssuer(), client.clientId, true)).changed).toEqual(['require_mfa']);
    });
  });

  describe('the admin form', () => {
    let strict: RunningApp;
    let admin: SignedInAdmin;
    const form = {
      name: 'Intranet',
      redirect_uris: 'https://intranet.example/cb',
      post_logout_redirect_uris: '',
      backchannel_logout_uri: 'http://127.0.0.1:3001/bc',
      client_type: 'confidential',
    };

    beforeAll(async () => {
      strict = await startApp({ env: { ALLOW_PRIVATE_CLIENT_URLS: 'false' } });
      admin = await signedInAdmin(strict);
    });
    afterAll(async () => {
      await strict?.stop();
    });

    it('shows the refusal next to the back-channel logout field (400) and registers nothing', async () => {
      const answer = await admin.post('/admin/clients', form);
      expect(answer.status, answer.body).toBe(400);
      expect(fieldError(answer, 'backchannel_logout_uri')).toContain(PRIVATE_MESSAGE);
      expect(await strict.store.clients.count()).toBe(0);
    });

    it('shows it on the edit form too, and changes nothing', async () => {
      const registered = await admin.post('/admin/clients', { ...form, backchannel_logout_uri: 'https://intranet.example/bc' });
      expect(registered.status, registered.body).toBe(200);
      const [client] = (await strict.store.clients.list({ limit: 1 })).items;
      const { client_type: _type, ...settings } = form;
      const answer = await admin.post(`/admin/clients/${client?.clientId ?? ''}`, { ...settings, backchannel_logout_uri: 'http://[::1]:3001/bc' });
      expect(answer.status, answer.body).toBe(400);
      expect(fieldError(answer, 'backchannel_logout_uri')).toContain(PRIVATE_MESSAGE);
      expect(await strict.store.clients.findById(client?.clientId ?? '')).toEqual(client);
    });
  });
});
