// Initial access tokens for dynamic client registration (issue 24, RFC 7591 §3), src/manage/registration-tokens.ts on
// a real SQLite store: the token is returned once and stored only as its hash, its bounds (uses, expiry) are checked
// before anything is written, and creation and revocation are audited without the token.
import { describe, expect, it } from 'vitest';
import { hashSecret } from '../../src/auth/secrets.js';
import { NotFoundError, ValidationError } from '../../src/errors.js';
import {
  createRegistrationToken,
  listRegistrationTokens,
  MAX_REGISTRATION_TOKEN_LIFETIME_MS,
  revokeRegistrationToken,
  type RegistrationTokenInput,
} from '../../src/manage/registration-tokens.js';
import type { ManageContext } from '../../src/manage/users.js';
import type { Store } from '../../src/store/store.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { manageStorePerTest, refusedWithoutWriting } from '../helpers/manage-store.js';
import { MINUTE, T0 } from '../store/engines.js';

describe('initial access tokens, on a real store', () => {
  let store: Store;
  let clock: FakeClock;
  let ctx: ManageContext;

  const snapshot = async () => ({ tokens: await store.registrationTokens.list(), audit: await store.audit.count({}) });
  const refused = refusedWithoutWriting(snapshot);
  const lastEvent = async () => (await store.audit.list({ limit: 1 }))[0];

  manageStorePerTest((fresh) => {
    ({ store, clock, ctx } = fresh);
  });

  it('creates a 256-bit token, returned once and stored only as its hash, usable at once, audited without it', async () => {
    const { token, record } = await createRegistrationToken(ctx, { uses: 3, expiresAt: T0 + 60 * MINUTE }, 'admin-1');
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(record).toMatchObject({ tokenHash: hashSecret(token), usesLeft: 3, used: 0, createdBy: 'admin-1', createdAt: T0, expiresAt: T0 + 60 * MINUTE });
    expect(record.id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(await store.registrationTokens.findUsable(hashSecret(token), T0)).toMatchObject({ id: record.id });
    const event = await lastEvent();
    expect(event).toMatchObject({
      type: 'registration_token.created',
      actor: 'admin-1',
      subject: record.id,
      ip: '192.0.2.1',
      details: { id: record.id, uses: 3, expires_at: new Date(T0 + 60 * MINUTE).toISOString() },
    });
    expect(JSON.stringify(event)).not.toContain(token);
    expect(JSON.stringify(await store.registrationTokens.list())).not.toContain(token);
  });

  it('creates a token without limits: unlimited uses, never expiring; the creator defaults to the context actor', async () => {
    const { record } = await createRegistrationToken(ctx, {});
    expect(record).toMatchObject({ usesLeft: null, expiresAt: null, createdBy: 'admin-1' });
    expect((await lastEvent())?.details).toEqual({ id: record.id, uses: null, expires_at: null });
  });

  describe('refuses bounds out of range, writing nothing', () => {
    const cases: [string, () => RegistrationTokenInput, RegExp][] = [
      ['no use at all', () => ({ uses: 0 }), /number of uses must be a whole number from 1 to 10,000/],
      ['more than 10,000 uses', () => ({ uses: 10_001 }), /from 1 to 10,000/],
      ['a fraction of a use', () => ({ uses: 1.5 }), /whole number/],
      ['an expiry now', () => ({ expiresAt: T0 }), /the expiry must be in the future/],
      ['an expiry in the past', () => ({ expiresAt: T0 - MINUTE }), /in the future/],
      ['an expiry beyond a year', () => ({ expiresAt: T0 + MAX_REGISTRATION_TOKEN_LIFETIME_MS + 1 }), /within a year/],
      ['an expiry that is not a time', () => ({ expiresAt: Number.NaN }), /must be a date and time/],
    ];
    for (const [what, input, message] of cases) {
      it(what, async () => {
        await refused(() => createRegistrationToken(ctx, input(), 'admin-1'), ValidationError, message);
      });
    }

    it('names the field for the admin form', async () => {
      await expect(createRegistrationToken(ctx, { uses: 0 })).rejects.toMatchObject({ field: 'uses' });
      await expect(createRegistrationToken(ctx, { expiresAt: T0 })).rejects.toMatchObject({ field: 'expires_at' });
    });
  });

  it('accepts an expiry exactly a year ahead', async () => {
    await expect(createRegistrationToken(ctx, { expiresAt: T0 + MAX_REGISTRATION_TOKEN_LIFETIME_MS })).resolves.toMatchObject({ record: { expiresAt: T0 + MAX_REGISTRATION_TOKEN_LIFETIME_MS } });
  });

  it('lists every token newest first, expired ones too, never the token', async () => {
    const first = await createRegistrationToken(ctx, { expiresAt: T0 + MINUTE });
    clock.advance(2 * MINUTE);
    const second = await createRegistrationToken(ctx, { uses: 1 });
    const listed = await listRegistrationTokens(ctx);
    expect(listed.map((record) => record.id)).toEqual([second.record.id, first.record.id]);
    expect(JSON.stringify(listed)).not.toContain(first.token);
    expect(JSON.stringify(listed)).not.toContain(second.token);
  });

  it('revokes a token: it is gone and no longer usable, audited; an unknown or already revoked id is a NotFoundError writing nothing', async () => {
    const { token, record } = await createRegistrationToken(ctx, {});
    await revokeRegistrationToken(ctx, record.id, 'cli');
    expect(await store.registrationTokens.findUsable(hashSecret(token), T0)).toBeNull();
    expect(await listRegistrationTokens(ctx)).toEqual([]);
    expect(await lastEvent()).toMatchObject({ type: 'registration_token.revoked', actor: 'cli', subject: record.id, details: { id: record.id } });
    await refused(() => revokeRegistrationToken(ctx, record.id, 'cli'), NotFoundError, new RegExp(`no initial access token "${record.id}"`));
    await refused(() => revokeRegistrationToken(ctx, 'no-such-token'), NotFoundError, /no initial access token "no-such-token"/);
  });
});
