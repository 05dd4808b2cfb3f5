// The pure parts of mailed links (src/auth/account-links.ts): which link may still act on an account as it is now
// (issue 19, F1), and the UTC time the notices show.
import { describe, expect, it } from 'vitest';
import { linkStillApplies, mailTime } from '../../src/auth/account-links.js';
import type { AccountTokenPurpose, AccountTokenRecord, UserRecord } from '../../src/store/records.js';

const USER: UserRecord = {
  id: 'user-1',
  email: 'Ada@Example.com',
  name: 'Ada',
  passwordHash: '$argon2id$x',
  isAdmin: false,
  disabled: false,
  emailVerified: false,
  hasPassword: true,
  locale: null,
  timeZone: null,
  createdAt: 0,
  updatedAt: 0,
  version: 1,
};

function link(purpose: AccountTokenPurpose, email: string, userId = USER.id): AccountTokenRecord {
  return { tokenHash: 'hash', purpose, userId, email, createdAt: 0, expiresAt: 1, usedAt: null };
}

describe('linkStillApplies (issue 19, F1)', () => {
  it('lets a verification or reset link act only while the account has the address it went to, compared as addresses are (case and surrounding space aside)', () => {
    for (const purpose of ['email_verification', 'password_reset'] as const) {
      expect(linkStillApplies(link(purpose, ' ada@example.COM '), USER), purpose).toBe(true);
      expect(linkStillApplies(link(purpose, 'ada@typo.example'), USER), purpose).toBe(false);
    }
  });

  it("lets a change link act though its address is not the account's yet (confirmEmail checks it when used)", () => {
    expect(linkStillApplies(link('email_change', 'ada@new.example'), USER)).toBe(true);
  });

  it('never lets a link act on another account, whatever its purpose and address', () => {
    for (const purpose of ['email_verification', 'password_reset', 'email_change'] as const) {
      expect(linkStillApplies(link(purpose, USER.email, 'user-2'), USER), purpose).toBe(false);
    }
  });
});

describe('mailTime', () => {
  it('shows a UTC time to the second, with a space for the T and "UTC" for the milliseconds and Z', () => {
    expect(mailTime(Date.UTC(2026, 11, 6, 9, 5, 7, 891))).toBe('2026-12-06 09:05:07 UTC');
    expect(mailTime(Date.UTC(2026, 0, 1, 0, 0, 0, 0))).toBe('2026-01-01 00:00:00 UTC');
  });
});
