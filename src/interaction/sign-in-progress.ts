// What a sign-in has established so far, and how it travels from one step's page to the next (sign-in-steps.ts):
// a short-lived challenge in the store, bound to this browser's cookie and used up once, naming who passed which
// factors and what an earlier step learned for a later one. Never the person's id in a form field.
import type { Request } from 'express';
import type { BreachedPasswords } from '../auth/breached-passwords.js';
import { constantTimeEqual, hashSecret, randomSecret } from '../auth/secrets.js';
import type { SessionTerminator } from '../logout/session-end.js';
import type { MemberGroup, SignInChallengeRecord, UserRecord } from '../store/records.js';
import { expiredSignIn, targetOf, type SignInTarget } from './complete-sign-in.js';
import { csrfTokenFor } from './pending-request.js';
import type { SecondFactorPageDependencies } from './second-factor.js';

export type SignInStepDependencies = SecondFactorPageDependencies & {
  /** BREACHED_PASSWORDS_FILE, opened; null when the operator configured none. */
  breachedPasswords: BreachedPasswords | null;
  /** A new password chosen at sign-in ends the account's other sessions. */
  sessionEnd: SessionTerminator;
};

/**
 * Facts learned at one step for a later one. `password_breached`: the password just typed is in the breach
 * corpus (known only while its plaintext is at hand, at the login form), so the person chooses a new one.
 */
export type SignInFlag = 'password_breached';

export interface SignInProgress {
  user: UserRecord;
  target: SignInTarget;
  /** The RFC 8176 `amr` values earned so far. */
  factors: string[];
  flags: SignInFlag[];
  /** The upstream provider or directory the first factor came from (issue 23; the session's `idp`); absent or null for none. */
  idp?: string | null;
  /** The person's groups once a step has read them (personGroups); never carried between pages. */
  groups?: readonly MemberGroup[];
}

/**
 * The person's groups, as the store has them now (issue 21: a group may demand a second factor of its members, an
 * application may admit only some groups). Read at most once per run of the steps, by the first step that needs
 * them, and kept on this progress for the next: one indexed query per sign-in (GroupRepository.groupsOf), which a
 * sign-in can afford; every page of a sign-in reads them afresh, so a change in between counts.
 */
export async function personGroups(deps: Pick<SignInStepDependencies, 'store'>, progress: SignInProgress): Promise<readonly MemberGroup[]> {
  progress.groups ??= await deps.store.groups.groupsOf(progress.user.id);
  return progress.groups;
}

/** The steps whose pages carry a challenge. */
export type StepPurpose = 'second_factor' | 'new_password';

/** Long enough to open an authenticator app or think of a password; short enough that one typed on a shared computer goes stale. */
const CHALLENGE_LIFETIME_MS = 10 * 60 * 1000;

/**
 * What a challenge holds: the factors and flags so far; for a second factor being set up, its secret, sealed; for
 * a new password, a fingerprint of the password hash the sign-in passed (passwordFingerprint).
 */
export interface ChallengeValue {
  factors: string[];
  flags: SignInFlag[];
  /** SignInProgress.idp, carried from one step's page to the next. */
  idp?: string | null;
  enrolment: string | null;
  password?: string | null;
}

const ENROLMENT_TOKEN = 'enrol=';
const FLAG_TOKEN = 'flag=';
const PASSWORD_TOKEN = 'pwd-hash=';
const IDP_TOKEN = 'idp=';
const SPECIAL_TOKENS = [ENROLMENT_TOKEN, FLAG_TOKEN, PASSWORD_TOKEN, IDP_TOKEN];

/** Names the stored password hash a step was started over, without copying the hash into another table. */
export function passwordFingerprint(passwordHash: string): string {
  return hashSecret(`gatehouse/sign-in/password-hash\0${passwordHash}`);
}

const FLAGS: readonly SignInFlag[] = ['password_breached'];

/**
 * Space-separated tokens: the factors as they are, `flag=<name>` per flag, `enrol=<sealed secret>`,
 * `pwd-hash=<fingerprint>`, `idp=<provider slug>` (a slug has no space).
 */
export function encodeChallengeValue({ factors, flags, enrolment, password = null, idp = null }: ChallengeValue): string {
  const tokens = [...factors, ...flags.map((flag) => FLAG_TOKEN + flag)];
  if (enrolment !== null) tokens.push(ENROLMENT_TOKEN + enrolment);
  if (password !== null) tokens.push(PASSWORD_TOKEN + password);
  if (idp) tokens.push(IDP_TOKEN + idp);
  return tokens.join(' ');
}

export function parseChallengeValue(value: string): ChallengeValue {
  const tokens = value.split(' ').filter(Boolean);
  const after = (prefix: string) => tokens.filter((token) => token.startsWith(prefix)).map((token) => token.slice(prefix.length));
  const flags = after(FLAG_TOKEN);
  return {
    factors: tokens.filter((token) => !SPECIAL_TOKENS.some((prefix) => token.startsWith(prefix))),
    flags: FLAGS.filter((flag) => flags.includes(flag)),
    enrolment: after(ENROLMENT_TOKEN)[0] ?? null,
    password: after(PASSWORD_TOKEN)[0] ?? null,
    idp: after(IDP_TOKEN)[0] ?? null,
  };
}

/** A new challenge for a step's page; `idHash` lets a caller seal something to it before it is written. Returns its id. */
export async function createStepChallenge(
  deps: Pick<SignInStepDependencies, 'store' | 'clock'>,
  browser: string,
  purpose: StepPurpose,
  userId: string,
  value: (idHash: string) => Promise<ChallengeValue> | ChallengeValue,
): Promise<string> {
  const id = randomSecret();
  const idHash = hashSecret(id);
  const now = deps.clock.now();
  await deps.store.signInChallenges.create({
    idHash,
    purpose,
    browserHash: hashSecret(browser),
    userId,
    value: encodeChallengeValue(await value(idHash)),
    createdAt: now,
    expiresAt: now + CHALLENGE_LIFETIME_MS,
  });
  return id;
}

/** The CSRF token of a step's form: bound to this browser's cookie, the step and its challenge. */
export function stepCsrf(browser: string, purpose: StepPurpose, id: string): string {
  return csrfTokenFor(browser, `sign-in-step\0${purpose}\0${id}`);
}

export interface StepState {
  id: string;
  challenge: SignInChallengeRecord;
  value: ChallengeValue;
  progress: SignInProgress;
  csrfToken: string;
}

function text(value: unknown): string {
  // Stryker disable next-line StringLiteral: equivalent; no challenge has the hash of a made-up id either
  return typeof value === 'string' ? value : '';
}

/** The live challenge named by `fields`, started in this browser, for a person who may still sign in. */
export async function stepStateOf(deps: SignInStepDependencies, req: Request, purpose: StepPurpose, fields: Record<string, unknown>): Promise<StepState> {
  const id = text(fields.challenge);
  const browser = deps.cookies.read(req, 'browser');
  // Stryker disable next-line LogicalOperator,ConditionalExpression: equivalent; a missing browser cookie is refused on the next line, and no challenge has the hash of an empty id
  const challenge = id && browser ? await deps.store.signInChallenges.findLive(hashSecret(id), purpose, deps.clock.now()) : null;
  if (!challenge || !browser || !constantTimeEqual(hashSecret(browser), challenge.browserHash) || !challenge.userId) throw expiredSignIn();
  const user = await deps.store.users.findById(challenge.userId);
  if (!user || user.disabled) throw expiredSignIn();
  const target = await targetOf(deps, req, fields);
  const value = parseChallengeValue(challenge.value);
  return { id, challenge, value, progress: { user, target, factors: value.factors, flags: value.flags, idp: value.idp ?? null }, csrfToken: stepCsrf(browser, purpose, id) };
}
