// The Registration screen (issue 24): how dynamic client registration (RFC 7591) stands on this server, and its
// initial access tokens (RFC 7591 §3: what a developer presents to POST /register when DYNAMIC_REGISTRATION=token).
// The mode is the server's configuration, shown read-only with how to change it: a setting that lets strangers
// register applications belongs with the rest of the deployment, not behind a button. The tokens go through
// src/manage/registration-tokens.ts, the rules and audit events of `idp registration token`: a new token is shown
// once, in the answer to the POST that made it (no-store; stored only as a hash, never in a URL or a log), and the
// list shows each token's public id and counters, never the token.
// Creating a token is sensitive (recent sign-in, recent-sign-in.ts): whoever holds it registers applications that
// may ask anyone to sign in. Revoking one takes that away, and needs no password, as disabling a user does.
import type { Request, Response, Router } from 'express';
import { NotFoundError, ValidationError } from '../errors.js';
import { routes, routeUrl } from '../http/routes.js';
import { createRegistrationToken, listRegistrationTokens, revokeRegistrationToken } from '../manage/registration-tokens.js';
import type { RegistrationTokenRecord } from '../store/records.js';
import { noticeFor } from './client-pages.js';
import { adminOf, manageContext, type AdminDependencies } from './context.js';
import { requireRecentSignIn } from './recent-sign-in.js';
import { formatTime, renderAdmin } from './render.js';
import { EMPTY_TOKEN_FORM, readTokenForm, tokenInput, type TokenForm, type TokenFormErrors } from './registration-form.js';

const NOTICES: Record<string, string> = {
  revoked: 'The token was revoked: it registers nothing more. Applications it registered stay registered; delete them from Clients if they must go.',
};

/** What the mode means, said to an administrator. */
const MODES: Record<AdminDependencies['config']['dynamicRegistration'], { label: string; meaning: string }> = {
  closed: {
    label: 'Closed',
    meaning: 'Nobody can register an application through the registration endpoint, and discovery does not advertise it. Only administrators register clients (here, or with idp client create).',
  },
  token: {
    label: 'With an initial access token',
    meaning: 'A developer registers an application by presenting one of the tokens below (Authorization: Bearer). Give a token only to someone you expect to register an application.',
  },
  open: {
    label: 'Open',
    meaning:
      'Anyone who can reach this server may register an application, a limited number per address per hour. Such applications are third-party: people are asked to allow what they request.',
  },
};

export interface TokenRow {
  id: string;
  usesLeft: string;
  used: number;
  expires: string;
  /** 'expired', 'used up', or null while usable. */
  state: string | null;
  createdBy: string;
  created: string;
  revokePath: string;
}

/** The registration screen's path, under the issuer's base path. */
export function registrationPath(deps: AdminDependencies, suffix = ''): string {
  return `${deps.config.basePath}${routes.admin}/registration${suffix}`;
}

/** Who made each token, by address: an administrator's user id, or `cli` for the idp tool. */
async function creators(deps: AdminDependencies, tokens: readonly RegistrationTokenRecord[]): Promise<Map<string, string>> {
  const ids = [...new Set(tokens.map((token) => token.createdBy))];
  const names = await Promise.all(
    ids.map(async (id): Promise<[string, string]> => {
      if (id === 'cli') return [id, 'the idp tool'];
      const user = await deps.store.users.findById(id);
      return [id, user ? user.email : `${id} (deleted)`];
    }),
  );
  return new Map(names);
}

function tokenRow(deps: AdminDependencies, token: RegistrationTokenRecord, createdBy: ReadonlyMap<string, string>, now: number): TokenRow {
  const expired = token.expiresAt !== null && token.expiresAt <= now;
  return {
    id: token.id,
    usesLeft: token.usesLeft === null ? 'unlimited' : String(token.usesLeft),
    used: token.used,
    expires: token.expiresAt === null ? 'never' : formatTime(token.expiresAt),
    state: expired ? 'expired' : token.usesLeft === 0 ? 'used up' : null,
    createdBy: createdBy.get(token.createdBy) ?? token.createdBy,
    created: formatTime(token.createdAt),
    revokePath: registrationPath(deps, `/tokens/${encodeURIComponent(token.id)}/revoke`),
  };
}

async function renderPage(deps: AdminDependencies, req: Request, res: Response, form: TokenForm, errors: TokenFormErrors, status = 200): Promise<void> {
  const tokens = await listRegistrationTokens(manageContext(deps, res, req.ip));
  const names = await creators(deps, tokens);
  const now = deps.clock.now();
  const mode = deps.config.dynamicRegistration;
  renderAdmin(
    res,
    'registration/index',
    {
      title: 'Registration',
      section: 'registration',
      notice: status === 200 ? noticeFor(req, NOTICES) : null,
      mode: { value: mode, ...MODES[mode] },
      privateUrls: deps.config.registrationAllowPrivateUrls,
      endpoint: `${deps.config.issuer}${routes.registration}`,
      discoveryUrl: routeUrl(deps.config.issuer, 'discovery'),
      tokens: tokens.map((token) => tokenRow(deps, token, names, now)),
      form,
      errors,
      createPath: registrationPath(deps, '/tokens'),
    },
    status,
  );
}

function page(deps: AdminDependencies) {
  return (req: Request, res: Response): Promise<void> => renderPage(deps, req, res, EMPTY_TOKEN_FORM, {});
}

/** POST /admin/registration/tokens: a new token, shown once; a refused form comes back with its errors. */
function create(deps: AdminDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    const form = readTokenForm(req.body);
    let created: Awaited<ReturnType<typeof createRegistrationToken>>;
    try {
      created = await createRegistrationToken(manageContext(deps, res, req.ip), tokenInput(form, req.body), adminOf(res).user.id);
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      const field = /use/i.test(error.field) ? 'uses' : /expire/i.test(error.field) ? 'expires' : 'form';
      await renderPage(deps, req, res, form, { [field]: error.message }, 400);
      return;
    }
    const names = await creators(deps, [created.record]);
    renderAdmin(res, 'registration/token-created', {
      title: 'Initial access token created',
      section: 'registration',
      token: created.token,
      row: tokenRow(deps, created.record, names, deps.clock.now()),
      modeIsToken: deps.config.dynamicRegistration === 'token',
      endpoint: `${deps.config.issuer}${routes.registration}`,
      backPath: registrationPath(deps),
    });
  };
}

/** POST /admin/registration/tokens/:id/revoke: an unknown id (revoked already) is a 404, nothing written. */
function revoke(deps: AdminDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    const id = String(req.params.id);
    const ctx = manageContext(deps, res, req.ip);
    if (!(await listRegistrationTokens(ctx)).some((token) => token.id === id)) {
      throw new NotFoundError('There is no such initial access token. It may have been revoked already.');
    }
    await revokeRegistrationToken(ctx, id, adminOf(res).user.id);
    res.redirect(303, registrationPath(deps, '?done=revoked'));
  };
}

export function registrationRoutes(router: Router, deps: AdminDependencies): void {
  router.get('/registration', page(deps));
  // Whoever holds a token registers applications: a recent sign-in, as for registering a client here.
  router.post('/registration/tokens', requireRecentSignIn(deps), create(deps));
  router.post('/registration/tokens/:id/revoke', revoke(deps));
}
