// Back-Channel Logout 1.0 receiver: Gatehouse POSTs a logout token here when a session ends there (sign-out
// in another app, an administrator disabling the person, …); every local session of that session ends too.
import express from 'express';

const LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

function isObject(value) {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The §2.6 checks that jose does not make; returns the `sid` and `sub` to end, or throws. */
function checkClaims(claims) {
  if (!isObject(claims.events) || !isObject(claims.events[LOGOUT_EVENT])) {
    throw new Error(`the events claim must hold the ${LOGOUT_EVENT} event`);
  }
  const sid = claims.sid;
  const sub = claims.sub;
  if (sid !== undefined && typeof sid !== 'string') throw new Error('the sid claim must be a string');
  if (sub !== undefined && typeof sub !== 'string') throw new Error('the sub claim must be a string');
  if (sid === undefined && sub === undefined) throw new Error('the logout token names neither a sid nor a sub');
  // A nonce would mean an ID token is being passed off as a logout token (§2.4).
  if ('nonce' in claims) throw new Error('a logout token must not contain a nonce');
  return { sid, sub };
}

function badRequest(res, description) {
  res.status(400).json({ error: 'invalid_request', error_description: description });
}

function destroy(store, id) {
  return new Promise((resolve, reject) => {
    store.get(id, (getErr, session) => {
      if (getErr) return reject(getErr);
      if (!session) return resolve(false);
      store.destroy(id, (destroyErr) => (destroyErr ? reject(destroyErr) : resolve(true)));
    });
  });
}

export function backchannelLogout({ oidc, sessionIndex, store }) {
  const router = express.Router();
  router.post('/backchannel-logout', express.urlencoded({ extended: false, limit: '16kb' }), async (req, res) => {
    // §2.8: the answer must not be cached, whatever it is.
    res.set('Cache-Control', 'no-store');
    const logoutToken = req.body?.logout_token;
    if (typeof logoutToken !== 'string' || logoutToken === '') return badRequest(res, 'logout_token is required');

    await oidc.get(); // discovery failing is our problem, not the token's: it goes to the error handler (500)
    let target;
    try {
      target = checkClaims(await oidc.verifyLogoutToken(logoutToken));
    } catch (err) {
      return badRequest(res, `invalid logout token: ${err.message}`);
    }

    let ended = 0;
    for (const id of sessionIndex.find(target)) {
      if (await destroy(store, id)) ended += 1;
      sessionIndex.forget(id);
    }
    console.log(`back-channel logout: ${ended} session(s) ended`);
    res.status(200).end();
  });
  return router;
}
