// The users table's columns, its patchable fields and how a row becomes a record, shared by every engine.
import { ConflictError, LastAdminError } from '../../errors.js';
import type { NewUser, UserPatch, UserRecord } from '../records.js';

export interface UserRow {
  id: string;
  email: string;
  email_normalized: string;
  name: string | null;
  /** The name lower-cased (normalizeName), as the users page's search compares it; written with the name. */
  name_normalized: string | null;
  password_hash: string;
  /** These three are 0 or 1 on SQLite, booleans on PostgreSQL. */
  is_admin: number | boolean;
  disabled: number | boolean;
  email_verified: number | boolean;
  /** 0 or 1 on SQLite, a boolean on PostgreSQL (migration 0014): false for an account made at a federated sign-in. */
  has_password: number | boolean;
  /** Issue 25 (migration 0016): the language the person picked and the time zone of their dates; NULL when not chosen. */
  locale: string | null;
  time_zone: string | null;
  created_at: number;
  updated_at: number;
  /** Issue 26 (migration 0017): 1 at the insert (the column's default), one more at every update. */
  version: number;
}

/** The columns an INSERT gives, in order (the version starts at the column's default, 1). */
export const INSERT_COLUMNS = 'id, email, email_normalized, name, name_normalized, password_hash, is_admin, disabled, email_verified, has_password, locale, time_zone, created_at, updated_at';

/** The columns a read selects. */
export const COLUMNS = `${INSERT_COLUMNS}, version`;

export const PATCH_COLUMNS: Record<keyof UserPatch, string> = {
  email: 'email',
  name: 'name',
  passwordHash: 'password_hash',
  isAdmin: 'is_admin',
  disabled: 'disabled',
  emailVerified: 'email_verified',
  locale: 'locale',
  timeZone: 'time_zone',
};

export function toRecord(row: UserRow): UserRecord {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    passwordHash: row.password_hash,
    isAdmin: Boolean(row.is_admin),
    disabled: Boolean(row.disabled),
    emailVerified: Boolean(row.email_verified),
    hasPassword: Boolean(row.has_password),
    locale: row.locale,
    timeZone: row.time_zone,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    version: row.version,
  };
}

export function emailTaken(email: string): ConflictError {
  return new ConflictError(`a user with the email ${email} already exists`);
}

/** A deleted user's id is retired (migration 0005): its `sub` must never name another person. */
export function idRetired(): ConflictError {
  return new ConflictError('this user id belonged to a deleted user and is never reused');
}

/** The message of the triggers of migration 0005 that refuse a retired id, on both engines. */
export const RETIRED_SUBJECT_MESSAGE = 'retired subject';

export function lastAdmin(): LastAdminError {
  return new LastAdminError('this is the only enabled admin: make another user an admin first');
}

/**
 * Whether the patch leaves its user no enabled admin (is_admin AND NOT disabled), whatever the user was before:
 * only such a patch can take the last one away. Any other patch keeps an enabled admin one.
 */
export function endsAdmin(patch: UserPatch): boolean {
  return patch.isAdmin === false || patch.disabled === true;
}

/** A new user's record as create() returns it: `hasPassword` defaults to true, `locale` and `timeZone` to null (NewUser). */
export function createdRecord(user: NewUser, now: number): UserRecord {
  return { ...user, hasPassword: user.hasPassword ?? true, locale: user.locale ?? null, timeZone: user.timeZone ?? null, createdAt: now, updatedAt: now, version: 1 };
}

/**
 * Whether the patch sets a password the person chose, which marks the account as having one (has_password, issue
 * 23): every change of the hash but a rehash, which hashes the same password again (and of an account without a
 * password, the same random secret: still no password anyone knows).
 */
export function setsPassword(patch: UserPatch, options: { rehash?: boolean } = {}): boolean {
  return patch.passwordHash !== undefined && !options.rehash;
}

/**
 * Whether the patch gives the user a new email or password, which ends every mailed link still unused
 * (UserRepository.update): each engine writes both in one transaction or statement.
 */
export function endsMailedLinks(patch: UserPatch, options: { rehash?: boolean } = {}): boolean {
  return patch.email !== undefined || setsPassword(patch, options);
}

/**
 * The form a name is searched in, stored beside it as email_normalized is beside the email: lower-cased here, in
 * JavaScript, because SQLite's lower() folds ASCII letters only and PostgreSQL's follows the database's locale;
 * this way both engines fold names, emails and the search itself alike, and a search compares stored columns.
 */
export function normalizeName(name: string | null): string | null {
  return name === null ? null : name.toLowerCase();
}

// The users page's search, on every engine (src/store/sqlite/user-search.ts, src/store/postgres/user-search.ts): the
// users whose email or name contains the search, in email order, a page at a time (keyset pagination on the email).
// Two ways find them, and give the same page:
//
//  - reading users in email order, keeping those that match: each user read costs little, and a search matching
//    many users fills a page after a few, but one matching few reads them all (35-50 ms at 100,000 users);
//  - a trigram index (migration 0005), which finds every match at once wherever it is in the email order, but each
//    costs several user reads (its row looked up, on PostgreSQL rechecked), and all must be sorted by email before
//    the page is known.
//
// So the index lists the matches when there are few (up to a cap), and reading in email order finds them when there
// are many. The choice goes by how many match in all, not by how densely the users read so far match: matches do not
// spread evenly along the email order (a first name begins the emails of one stretch of it), and a search can match
// next to nobody for tens of thousands of users, then every other one. SQLite counts the matches in its index, up to
// the cap, which costs little, after first reading a window of users in email order, where a common search fills its
// page without counting at all. PostgreSQL's index costs as much to count matches as to list them, so it estimates
// their number from a sample of users instead, and its index gives up if the estimate was far off. A search the index
// cannot look up (under three characters; on PostgreSQL, without three letters or digits in a row) is read in email
// order: being short, it matches densely.

/** The form a search is compared in (emails and names are stored lower-cased beside themselves); null for none. */
export function normalizeSearch(search: string | undefined): string | null {
  const term = search?.trim().toLowerCase() ?? '';
  return term === '' ? null : term;
}
