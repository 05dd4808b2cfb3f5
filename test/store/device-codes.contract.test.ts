// Store contract: RFC 8628 device authorizations (DeviceCodeRepository, issue 22). Every decision and the spending
// of a code is one conditional write with one winner. Shared engines, setup and builders: ./engines.ts.
import { beforeEach, describe, expect, it } from 'vitest';
import { ConflictError } from '../../src/errors.js';
import type { DeviceApproval, NewDeviceCode } from '../../src/store/records.js';
import type { Store } from '../../src/store/store.js';
import { engines, freshStorePerTest, MINUTE, newClient, newSession, seedUserAndClient, T0 } from './engines.js';

const SECOND = 1000;
const TTL = 10 * MINUTE;

function deviceCode(hash: string, overrides: Partial<NewDeviceCode> = {}): NewDeviceCode {
  return {
    deviceCodeHash: hash,
    userCodeHash: `user-${hash}`,
    clientId: 'rp',
    scope: 'openid orders:read',
    resources: ['https://orders.example/api'],
    createdAt: T0,
    expiresAt: T0 + TTL,
    interval: 5,
    ...overrides,
  };
}

const APPROVAL: DeviceApproval = { userId: 'u1', sessionIdHash: 's1', sid: 'sid-s1', amr: ['pwd', 'otp'], idp: null, authTime: T0 - MINUTE };

describe.each(engines.map((engine) => [engine.name, engine] as const))('store contract on %s', (_name, engine) => {
  let store: Store;
  freshStorePerTest(engine, (opened) => {
    store = opened;
  });
  beforeEach(async () => {
    await seedUserAndClient(store);
    await store.sessions.create(newSession('s1', 'u1'));
  });

  describe('device authorizations', () => {
    it('stores a new authorization as pending, with nobody, and reads it back whole', async () => {
      await store.deviceCodes.create(deviceCode('d1'));
      const pending = {
        ...deviceCode('d1'),
        lastPolledAt: null,
        status: 'pending',
        userId: null,
        sessionIdHash: null,
        sid: null,
        amr: [],
        idp: null,
        authTime: null,
        decidedAt: null,
        consumedAt: null,
      };
      expect(await store.deviceCodes.find('d1')).toEqual(pending);
      expect(await store.deviceCodes.findPending('user-d1', T0 + 1)).toEqual(pending);
      expect(await store.deviceCodes.find('user-d1')).toBeNull();
      expect(await store.deviceCodes.findPending('d1', T0 + 1)).toBeNull();
    });

    it('refuses a taken user code (ConflictError, the caller draws another) and keeps the first', async () => {
      await store.deviceCodes.create(deviceCode('d1'));
      await expect(store.deviceCodes.create(deviceCode('d2', { userCodeHash: 'user-d1' }))).rejects.toBeInstanceOf(ConflictError);
      expect(await store.deviceCodes.find('d2')).toBeNull();
      expect(await store.deviceCodes.findPending('user-d1', T0)).toMatchObject({ deviceCodeHash: 'd1' });
    });

    it('finds a user code only while it is pending and unexpired', async () => {
      await store.deviceCodes.create(deviceCode('d1'));
      await store.deviceCodes.create(deviceCode('d2'));
      expect(await store.deviceCodes.findPending('user-d1', T0 + TTL - 1)).not.toBeNull();
      expect(await store.deviceCodes.findPending('user-d1', T0 + TTL)).toBeNull();
      await store.deviceCodes.deny('user-d2', T0 + 1);
      expect(await store.deviceCodes.findPending('user-d2', T0 + 2)).toBeNull();
    });
  });

  describe('polling (RFC 8628 §3.5)', () => {
    beforeEach(() => store.deviceCodes.create(deviceCode('d1')));

    it('records every poll; one sooner than the interval is too soon and adds 5 s to the interval, each time', async () => {
      expect(await store.deviceCodes.poll('d1', T0 + SECOND)).toMatchObject({ tooSoon: false, record: { interval: 5, lastPolledAt: T0 + SECOND } });
      // 4.999 s later: too soon; the interval is now 10 s.
      expect(await store.deviceCodes.poll('d1', T0 + 5999)).toMatchObject({ tooSoon: true, record: { interval: 10, lastPolledAt: T0 + 5999 } });
      // 9 s after that: too soon for the new interval.
      expect(await store.deviceCodes.poll('d1', T0 + 14_999)).toMatchObject({ tooSoon: true, record: { interval: 15, lastPolledAt: T0 + 14_999 } });
      // Exactly the interval later: in time, and the interval stays.
      expect(await store.deviceCodes.poll('d1', T0 + 29_999)).toMatchObject({ tooSoon: false, record: { interval: 15, lastPolledAt: T0 + 29_999 } });
      expect(await store.deviceCodes.find('d1')).toMatchObject({ interval: 15, lastPolledAt: T0 + 29_999, status: 'pending' });
    });

    it('answers null for a code that is not there', async () => {
      expect(await store.deviceCodes.poll('nope', T0)).toBeNull();
    });

    it('still records polls of an expired, approved or spent code (the caller tells them apart)', async () => {
      await store.deviceCodes.approve('user-d1', APPROVAL, T0 + 1);
      expect(await store.deviceCodes.poll('d1', T0 + 2)).toMatchObject({ tooSoon: false, record: { status: 'approved' } });
      await store.deviceCodes.consume('d1', T0 + 3);
      expect(await store.deviceCodes.poll('d1', T0 + TTL + 1)).toMatchObject({ tooSoon: false, record: { consumedAt: T0 + 3 } });
    });

    it('sees each of two polls at the same instant after the other: one in time, the other too soon', async () => {
      const polls = await Promise.all([store.deviceCodes.poll('d1', T0 + SECOND), store.deviceCodes.poll('d1', T0 + SECOND)]);
      expect(polls.map((poll) => poll?.tooSoon).sort()).toEqual([false, true]);
      expect(await store.deviceCodes.find('d1')).toMatchObject({ interval: 10, lastPolledAt: T0 + SECOND });
    });

    it('grows the interval once per early poll when ten come at once', async () => {
      await store.deviceCodes.poll('d1', T0);
      const polls = await Promise.all(Array.from({ length: 10 }, () => store.deviceCodes.poll('d1', T0 + SECOND)));
      expect(polls.every((poll) => poll?.tooSoon)).toBe(true);
      expect(await store.deviceCodes.find('d1')).toMatchObject({ interval: 55 });
    });
  });

  describe('the person’s decision', () => {
    beforeEach(() => store.deviceCodes.create(deviceCode('d1')));

    it('approves a pending code once, writing the person, the session and how they signed in', async () => {
      const approved = await store.deviceCodes.approve('user-d1', APPROVAL, T0 + MINUTE);
      expect(approved).toEqual({
        ...deviceCode('d1'),
        lastPolledAt: null,
        status: 'approved',
        ...APPROVAL,
        decidedAt: T0 + MINUTE,
        consumedAt: null,
      });
      expect(await store.deviceCodes.find('d1')).toEqual(approved);
      expect(await store.deviceCodes.approve('user-d1', { ...APPROVAL, userId: 'u2' }, T0 + MINUTE + 1)).toBeNull();
      expect(await store.deviceCodes.deny('user-d1', T0 + MINUTE + 1)).toBe(false);
      expect(await store.deviceCodes.find('d1')).toMatchObject({ userId: 'u1', status: 'approved', decidedAt: T0 + MINUTE });
    });

    it('denies a pending code once; it can then be neither approved nor spent', async () => {
      expect(await store.deviceCodes.deny('user-d1', T0 + 1)).toBe(true);
      expect(await store.deviceCodes.deny('user-d1', T0 + 2)).toBe(false);
      expect(await store.deviceCodes.approve('user-d1', APPROVAL, T0 + 3)).toBeNull();
      expect(await store.deviceCodes.consume('d1', T0 + 4)).toBeNull();
      expect(await store.deviceCodes.find('d1')).toMatchObject({ status: 'denied', userId: null, decidedAt: T0 + 1, consumedAt: null });
    });

    it('decides nothing on an expired code, from its expiry instant on, or an unknown one', async () => {
      expect(await store.deviceCodes.approve('user-d1', APPROVAL, T0 + TTL)).toBeNull();
      expect(await store.deviceCodes.deny('user-d1', T0 + TTL)).toBe(false);
      expect(await store.deviceCodes.find('d1')).toMatchObject({ status: 'pending', userId: null, decidedAt: null });
      expect(await store.deviceCodes.approve('user-nope', APPROVAL, T0)).toBeNull();
      expect(await store.deviceCodes.deny('user-nope', T0)).toBe(false);
    });

    it('lets exactly one of two approvals at once win', async () => {
      const results = await Promise.all([store.deviceCodes.approve('user-d1', APPROVAL, T0 + 1), store.deviceCodes.approve('user-d1', { ...APPROVAL, userId: 'u2' }, T0 + 1)]);
      const winners = results.filter((result) => result !== null);
      expect(winners).toHaveLength(1);
      expect(await store.deviceCodes.find('d1')).toMatchObject({ status: 'approved', userId: winners[0]?.userId });
    });

    it('lets exactly one of an approval and a denial at once win', async () => {
      for (let round = 0; round < 5; round++) {
        const hash = `race-${round}`;
        await store.deviceCodes.create(deviceCode(hash));
        const [approved, denied] = await Promise.all([store.deviceCodes.approve(`user-${hash}`, APPROVAL, T0 + 1), store.deviceCodes.deny(`user-${hash}`, T0 + 1)]);
        expect(Number(approved !== null) + Number(denied)).toBe(1);
        expect((await store.deviceCodes.find(hash))?.status).toBe(approved ? 'approved' : 'denied');
      }
    });
  });

  describe('spending an approved code', () => {
    beforeEach(() => store.deviceCodes.create(deviceCode('d1')));

    it('spends an approved code once and returns it with the approval', async () => {
      expect(await store.deviceCodes.consume('d1', T0 + 1)).toBeNull();
      await store.deviceCodes.approve('user-d1', APPROVAL, T0 + 2);
      expect(await store.deviceCodes.consume('d1', T0 + 3)).toMatchObject({ ...APPROVAL, status: 'approved', consumedAt: T0 + 3, scope: 'openid orders:read' });
      expect(await store.deviceCodes.consume('d1', T0 + 4)).toBeNull();
      expect(await store.deviceCodes.find('d1')).toMatchObject({ consumedAt: T0 + 3 });
      expect(await store.deviceCodes.consume('nope', T0 + 4)).toBeNull();
    });

    it('does not spend an approved code from its expiry instant on', async () => {
      await store.deviceCodes.approve('user-d1', APPROVAL, T0 + 1);
      expect(await store.deviceCodes.consume('d1', T0 + TTL)).toBeNull();
      expect(await store.deviceCodes.find('d1')).toMatchObject({ status: 'approved', consumedAt: null });
    });

    it('lets exactly one of twenty concurrent token requests spend it', async () => {
      await store.deviceCodes.approve('user-d1', APPROVAL, T0 + 1);
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => store.deviceCodes.consume('d1', T0 + 2 + i)));
      expect(results.filter((result) => result !== null)).toHaveLength(1);
    });
  });

  describe('ending and removing', () => {
    it("ends a person's approved, unspent authorizations (a disabled account), and no other", async () => {
      await store.deviceCodes.create(deviceCode('approved'));
      await store.deviceCodes.create(deviceCode('spent'));
      await store.deviceCodes.create(deviceCode('other'));
      await store.deviceCodes.create(deviceCode('pending'));
      await store.deviceCodes.approve('user-approved', APPROVAL, T0 + 1);
      await store.deviceCodes.approve('user-spent', APPROVAL, T0 + 1);
      await store.deviceCodes.consume('spent', T0 + 2);
      await store.deviceCodes.approve('user-other', { ...APPROVAL, userId: 'u2' }, T0 + 1);
      expect(await store.deviceCodes.deleteForUser('u1')).toBe(1);
      expect(await store.deviceCodes.consume('approved', T0 + 3)).toBeNull();
      expect(await store.deviceCodes.find('approved')).toBeNull();
      expect(await store.deviceCodes.find('spent')).toMatchObject({ consumedAt: T0 + 2 });
      expect(await store.deviceCodes.find('other')).toMatchObject({ userId: 'u2' });
      expect(await store.deviceCodes.findPending('user-pending', T0 + 3)).not.toBeNull();
      expect(await store.deviceCodes.deleteForUser('u1')).toBe(0);
    });

    it('removes only authorizations that expired (from their expiry instant on), and counts them', async () => {
      await store.deviceCodes.create(deviceCode('old', { expiresAt: T0 }));
      await store.deviceCodes.create(deviceCode('live', { expiresAt: T0 + 1 }));
      expect(await store.deviceCodes.deleteExpired(T0)).toBe(1);
      expect(await store.deviceCodes.find('old')).toBeNull();
      expect(await store.deviceCodes.find('live')).not.toBeNull();
      expect(await store.deviceCodes.deleteExpired(T0)).toBe(0);
    });

    it('goes with its client, and an approved one with its person (foreign keys, ON DELETE CASCADE)', async () => {
      await store.clients.create(newClient('tv', 'Television'), T0);
      await store.deviceCodes.create(deviceCode('tv-code', { clientId: 'tv' }));
      await store.deviceCodes.create(deviceCode('rp-code'));
      await store.deviceCodes.create(deviceCode('u2-code'));
      await store.deviceCodes.approve('user-u2-code', { ...APPROVAL, userId: 'u2', sessionIdHash: null, sid: null }, T0 + 1);
      expect(await store.clients.delete('tv')).toBe(true);
      expect(await store.deviceCodes.find('tv-code')).toBeNull();
      expect(await store.users.delete('u2')).toBe(true);
      expect(await store.deviceCodes.find('u2-code')).toBeNull();
      expect(await store.deviceCodes.find('rp-code')).not.toBeNull();
    });
  });
});
