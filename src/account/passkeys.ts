// Passkeys on the account page (issue 10): the list (name, created, last used), adding one (current password
// first, as for every new factor: OWASP ASVS V2.1.5), renaming and removing (current password again). Adding is
// a WebAuthn ceremony run by public/passkeys.js with two JSON requests; renaming and removing are plain forms.
// The registration challenge is bound to this session, so it dies with it. Removing a passkey takes away a second
// factor, so it asks for one too (checkCurrentFactor): a code from the authenticator app or a recovery code, or a
// two-factor sign-in in the last 15 minutes, which for a person whose only factor is this passkey means having
// just signed in with it. A refusal writes nothing.
import type { Request, Response } from 'express';
import { tellSecondFactorChanged } from '../auth/account-links.js';
import { z } from 'zod';
import { MAX_PASSKEY_NAME_LENGTH, MAX_PASSKEYS, passkeyName, registerPasskey, registrationOptions, registrationResponseSchema } from '../auth/passkeys.js';
import { retryAfterSeconds } from '../auth/throttle.js';
import { jsonBody, refuseJson } from '../interaction/passkey-sign-in.js';
import type { Store } from '../store/store.js';
import { accountPath } from './access.js';
import { accountOf, auditAccount, type AccountDependencies } from './context.js';
import { checkCurrentFactor, checkCurrentPassword } from './current-password.js';
import { parseAccountForm } from './forms.js';
import { renderAccountPage } from './render.js';
import { localeOf } from '../i18n/page-locale.js';

export interface PasskeyView {
  credentialId: string;
  name: string;
  /** When (ms); the view shows it in the person's language and time zone. */
  created: number;
  lastUsed: number | null;
  /** A synced passkey (multi-device) rather than one bound to its authenticator. */
  synced: boolean;
}

export async function passkeyViews(store: Store, userId: string): Promise<PasskeyView[]> {
  return (await store.passkeys.listForUser(userId)).map((passkey) => ({
    credentialId: passkey.credentialId,
    name: passkey.name,
    created: passkey.createdAt,
    lastUsed: passkey.lastUsedAt,
    synced: passkey.deviceType === 'multiDevice',
  }));
}

export function passkeyPaths(deps: Pick<AccountDependencies, 'config'>) {
  return {
    passkeyOptions: accountPath(deps, '/passkeys/options'),
    passkeys: accountPath(deps, '/passkeys'),
    passkeyRename: accountPath(deps, '/passkeys/rename'),
    passkeyRemove: accountPath(deps, '/passkeys/remove'),
  };
}

const text = z.string().max(1024).default('');

function stringOf(value: unknown): string {
  return typeof value === 'string' ? value : '';
}
const renameSchema = z.object({ credential_id: text, name: text });
const removeSchema = z.object({ credential_id: text, current_password: text, code: text });

/** POST /account/passkeys/options (JSON: `csrf`, `current_password`) → `{ challengeId, options }` */
export function passkeyRegistrationOptions(deps: AccountDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    const { user, session } = accountOf(res);
    const { t } = localeOf(req);
    const check = await checkCurrentPassword(deps, req, user, stringOf(jsonBody(req).current_password));
    if (check.outcome === 'throttled') {
      res.setHeader('Retry-After', String(retryAfterSeconds(check.retryAt, deps.clock.now())));
      refuseJson(res, 429, 'throttled', check.message);
      return;
    }
    if (check.outcome === 'wrong') {
      refuseJson(res, 400, 'wrong_password', check.message);
      return;
    }
    const existing = await deps.store.passkeys.listForUser(user.id);
    if (existing.length >= MAX_PASSKEYS) {
      refuseJson(res, 400, 'too_many', t('account.errors.tooManyPasskeys', { max: MAX_PASSKEYS }));
      return;
    }
    res.setHeader('Cache-Control', 'no-store');
    res.json(await registrationOptions(deps, user, session.idHash, existing));
  };
}

/** POST /account/passkeys (JSON: `csrf`, `challengeId`, `name`, `response`) → 201 `{ redirect }` */
export function addPasskey(deps: AccountDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    const { user, session } = accountOf(res);
    const { t } = localeOf(req);
    const body = jsonBody(req);
    const name = passkeyName(stringOf(body.name));
    if (name === null) {
      refuseJson(res, 400, 'invalid_name', t('account.errors.passkeyNameInvalid', { max: MAX_PASSKEY_NAME_LENGTH }));
      return;
    }
    const parsed = registrationResponseSchema.safeParse(body.response);
    if (!parsed.success) {
      refuseJson(res, 400, 'invalid_request', t('account.errors.passkeyUnreadable'));
      return;
    }
    const result = await registerPasskey(deps, user, session.idHash, stringOf(body.challengeId), parsed.data, name);
    if (result.outcome === 'expired') {
      refuseJson(res, 400, 'expired', t('account.errors.passkeyExpired'));
      return;
    }
    if (result.outcome === 'duplicate') {
      refuseJson(res, 409, 'duplicate', t('account.errors.passkeyDuplicate'));
      return;
    }
    if (result.outcome === 'refused') {
      req.log.info({ detail: result.detail }, 'passkey registration refused');
      refuseJson(res, 400, 'not_accepted', t('account.errors.passkeyNotAccepted'));
      return;
    }
    await auditAccount(deps, req, user, 'account.passkey_added', { credential_id: result.passkey.credentialId, name, device_type: result.passkey.deviceType });
    tellSecondFactorChanged(deps, user, { passkeyAdded: name }, req.ip ?? null, localeOf(req).language);
    res.setHeader('Cache-Control', 'no-store');
    res.status(201).json({ redirect: accountPath(deps, '?done=passkey-added') });
  };
}

/** A rename or removal refused: the page again, the message beside that passkey's forms. */
async function refuseForm(deps: AccountDependencies, req: Request, res: Response, credentialId: string, field: string, message: string, status: number): Promise<void> {
  await renderAccountPage(deps, req, res, { errors: { passkeys: { credential_id: credentialId, [field]: message } } }, status);
}

/** POST /account/passkeys/rename (`credential_id`, `name`) */
export function renamePasskey(deps: AccountDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    const { user } = accountOf(res);
    const form = parseAccountForm(renameSchema, req);
    const name = passkeyName(form.name);
    if (name === null) {
      await refuseForm(deps, req, res, form.credential_id, 'name', localeOf(req).t('account.errors.passkeyNameTooLong', { max: MAX_PASSKEY_NAME_LENGTH }), 400);
      return;
    }
    // Only the person's own passkeys can be named: another's credential id renames nothing.
    const renamed = await deps.store.passkeys.rename(user.id, form.credential_id, name);
    res.redirect(303, accountPath(deps, renamed ? '?done=passkey-renamed' : ''));
  };
}

/** POST /account/passkeys/remove (`credential_id`, `current_password`, and `code` when the account has an authenticator app) */
export function removePasskey(deps: AccountDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    const { user, session } = accountOf(res);
    const form = parseAccountForm(removeSchema, req);
    const check = await checkCurrentPassword(deps, req, user, form.current_password);
    if (check.outcome !== 'confirmed') {
      if (check.outcome === 'throttled') res.setHeader('Retry-After', String(retryAfterSeconds(check.retryAt, deps.clock.now())));
      await refuseForm(deps, req, res, form.credential_id, 'current_password', check.message, check.outcome === 'throttled' ? 429 : 400);
      return;
    }
    // Another person's credential id (or none) removes nothing: no code is spent on it.
    const passkey = await deps.store.passkeys.findById(form.credential_id);
    if (!passkey || passkey.userId !== user.id) {
      res.redirect(303, accountPath(deps));
      return;
    }
    const factor = await checkCurrentFactor(deps, req, user, session, form.code);
    if (factor.outcome !== 'confirmed') {
      if (factor.outcome === 'throttled') res.setHeader('Retry-After', String(retryAfterSeconds(factor.retryAt, deps.clock.now())));
      await refuseForm(deps, req, res, form.credential_id, 'code', factor.message, factor.outcome === 'throttled' ? 429 : 400);
      return;
    }
    const removed = await deps.store.passkeys.remove(user.id, form.credential_id);
    if (removed) {
      await auditAccount(deps, req, user, 'account.passkey_removed', { credential_id: form.credential_id });
      tellSecondFactorChanged(deps, user, 'passkey-removed', req.ip ?? null, localeOf(req).language);
    }
    res.redirect(303, accountPath(deps, removed ? '?done=passkey-removed' : ''));
  };
}
