// The Signing keys screens: every key's state and timeline, before an activation the applications that have not
// fetched the new key yet (issue 26), a scheduled (or emergency) rotation, and the revocation of a compromised
// key. The rules and audit events are src/manage/keys.ts, as for `idp keys`; after a change the running server's
// key ring reloads at once, so the JWKS and token signing follow without waiting for the key store's watch.
import type { Request, Response, Router } from 'express';
import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import { keySchedule, revokeKey, rotateKey, type KeyContext } from '../manage/keys.js';
import { readiness } from '../signing/key-readiness.js';
import { keyPolicy } from '../signing/key-schedule.js';
import { manageContext, type AdminDependencies } from './context.js';
import { noticeFor } from './client-pages.js';
import { readinessView } from './key-readiness-view.js';
import { duration, keysPath, keyView } from './key-view.js';
import { requireRecentSignIn } from './recent-sign-in.js';
import { renderAdmin } from './render.js';

const NOTICES: Record<string, string> = {
  rotated: 'A new signing key is published. It signs from its activation time below; until then the current key signs, and it stays published until its tokens expire.',
  activated: 'A new signing key signs now. Relying parties with a cached copy of the JWKS refuse its tokens until they fetch the JWKS again.',
  revoked: 'The key is revoked: it is out of the JWKS and never signs again. The grants and sessions with tokens it signed were revoked; the audit log has the numbers.',
  replaced: 'The signing key is revoked and its replacement signs now. The grants and sessions with tokens it signed were revoked; the audit log has the numbers.',
};

function keyContext(deps: AdminDependencies, req: Request, res: Response): KeyContext {
  return { ...manageContext(deps, res, req.ip), keys: deps.keyRing.keyStore, policy: keyPolicy(deps.config) };
}

function listPage(deps: AdminDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    const ctx = keyContext(deps, req, res);
    const schedule = await keySchedule(ctx);
    const pending = schedule.keys.find((timeline) => timeline.state === 'pending');
    // Issue 26: before the next activation, which applications have not fetched the new key (best effort).
    const ready = readinessView(deps, await readiness(deps.store, { schedule }, schedule.at));
    renderAdmin(res, 'keys/list', {
      title: 'Signing keys',
      section: 'keys',
      notice: noticeFor(req, NOTICES),
      keys: schedule.keys.map((timeline) => keyView(deps, timeline, schedule)),
      signingKid: schedule.signingKey?.kid ?? null,
      pending: pending ? keyView(deps, pending, schedule) : null,
      readiness: ready,
      prepublish: duration(ctx.policy.prepublishMs),
      jwksMaxAge: duration(deps.config.jwksMaxAge * 1000),
      rotateAction: `${keysPath(deps)}/rotate`,
    });
  };
}

/** The emergency checkbox: absent, or ticked. A repeated or unknown value is not a form we sent. */
function immediately(body: unknown): boolean {
  const value = typeof body === 'object' && body !== null ? (body as Record<string, unknown>).immediately : undefined;
  if (value === undefined) return false;
  if (value === 'yes') return true;
  throw new ValidationError('immediately', 'The emergency box must be ticked or left empty.');
}

function rotate(deps: AdminDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    const rotation = await rotateKey(keyContext(deps, req, res), { immediately: immediately(req.body) });
    await deps.keyRing.reload();
    res.redirect(303, `${keysPath(deps)}?done=${rotation.immediate ? 'activated' : 'rotated'}`);
  };
}

function revokePage(deps: AdminDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    const kid = String(req.params.kid);
    const schedule = await keySchedule(keyContext(deps, req, res));
    const timeline = schedule.keys.find((t) => t.key.kid === kid);
    // The same refusals as revokeKey, before anyone is asked to confirm.
    if (!timeline) throw new NotFoundError(`no signing key ${JSON.stringify(kid)}`);
    if (timeline.key.revokedAt !== null) throw new ConflictError(`signing key ${kid} is already revoked`);
    const key = keyView(deps, timeline, schedule);
    // The replacement revokeKey would pick: the earliest scheduled key, else a new one.
    const scheduled = schedule.keys.filter((t) => t.state === 'pending').sort((a, b) => a.key.activatedAt - b.key.activatedAt)[0];
    renderAdmin(res, 'keys/revoke', {
      title: `Revoke key ${kid}`,
      section: 'keys',
      key,
      replacementKid: key.signsNow ? (scheduled?.key.kid ?? null) : null,
      jwksMaxAge: duration(deps.config.jwksMaxAge * 1000),
      action: keysPath(deps, kid),
      cancel: keysPath(deps),
    });
  };
}

function revoke(deps: AdminDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    const revocation = await revokeKey(keyContext(deps, req, res), String(req.params.kid));
    await deps.keyRing.reload();
    res.redirect(303, `${keysPath(deps)}?done=${revocation.wasSigning ? 'replaced' : 'revoked'}`);
  };
}

export function keyRoutes(router: Router, deps: AdminDependencies): void {
  router.get('/keys', listPage(deps));
  // Both change which tokens relying parties accept: sensitive actions (recent-sign-in.ts).
  router.post('/keys/rotate', requireRecentSignIn(deps), rotate(deps));
  router.get('/keys/:kid/revoke', revokePage(deps));
  router.post('/keys/:kid/revoke', requireRecentSignIn(deps), revoke(deps));
}
