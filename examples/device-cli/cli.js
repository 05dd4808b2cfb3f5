#!/usr/bin/env node
// A command-line tool that signs a person in with the OAuth 2.0 device authorization grant (RFC 8628), through
// openid-client v6, and calls the demo API (examples/spa/api.js) with an access token minted for that API alone
// (RFC 8707 `resource`, so the token's `aud` is the API's identifier). The person approves on any browser, on
// another device if need be: this machine needs no browser and receives no redirect.
//
// Output, one line each: where to go and the code, the same as one link, then who signed in and the API's answer.
// Exit codes: 0 done, 1 refused or failed (the reason on stderr), 2 bad configuration.
import { isIPv4 } from 'node:net';
import * as client from 'openid-client';

function fail(message, code = 1) {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

function httpUrl(name, value) {
  let url;
  try {
    url = new URL(value);
  } catch {
    fail(`${name} must be an absolute URL, got "${value}"`, 2);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') fail(`${name} must be an http or https URL`, 2);
  return url;
}

/** Loopback only: localhost, 127.0.0.0/8 and [::1]. */
function isLoopback(url) {
  const host = url.hostname;
  return host === 'localhost' || host === '[::1]' || (isIPv4(host) && host.startsWith('127.'));
}

const env = process.env;
if (!env.ISSUER) fail('ISSUER is required (the Gatehouse issuer URL)', 2);
if (!env.CLIENT_ID) fail("CLIENT_ID is required (this tool's client id: a public client registered with --device)", 2);
const issuer = httpUrl('ISSUER', env.ISSUER);
const clientId = env.CLIENT_ID;
const apiUrl = httpUrl('API_URL', env.API_URL || 'http://127.0.0.5:4004').href.replace(/\/$/, '');
// The API's identifier at Gatehouse: the `resource` asked for, the `aud` of the token.
const resource = httpUrl('API_IDENTIFIER', env.API_IDENTIFIER || `${apiUrl}/api`).href;
// openid and profile: an ID token that says who approved. demo:read: what the API asks of its callers.
const scope = env.SCOPE || 'openid profile demo:read';

// openid-client refuses plain http. A development issuer on this machine cannot be intercepted on the network,
// so http is allowed for a loopback issuer and nowhere else.
const insecure = issuer.protocol === 'http:' && isLoopback(issuer) ? { execute: [client.allowInsecureRequests] } : undefined;
// A public client (registered with --public --device): it holds no secret, so it authenticates with its id alone.
const config = await client.discovery(issuer, clientId, undefined, client.None(), insecure).catch((err) => fail(`cannot read ${issuer.href}'s discovery document: ${err.message}`));

// RFC 8628 §3.1: the device authorization request, naming the API (RFC 8707 §2) and the scopes.
const device = await client.initiateDeviceAuthorization(config, { scope, resource }).catch((err) => fail(`Gatehouse refused the request: ${describe(err)}`));

// RFC 8628 §3.3: show the person where to go and what to type; the complete URI fills in the code for them.
process.stdout.write(`To sign in, open ${device.verification_uri} and enter the code ${device.user_code}\n`);
if (device.verification_uri_complete) process.stdout.write(`Or open ${device.verification_uri_complete}\n`);
process.stdout.write(`Waiting for approval (the code expires in ${Math.round(device.expires_in / 60)} minutes)…\n`);

// Ctrl-C stops the polling instead of leaving a request in flight.
const abort = new AbortController();
process.once('SIGINT', () => abort.abort());

let tokens;
try {
  // RFC 8628 §3.4–3.5: polls the token endpoint every `interval` seconds, slowing down when told to, until the
  // person allows or denies, or the code expires. `resource` again: the token is for the API (RFC 8707 §2.2).
  tokens = await client.pollDeviceAuthorizationGrant(config, device, { resource }, { signal: abort.signal });
} catch (err) {
  if (abort.signal.aborted) fail('Stopped.');
  if (err?.error === 'access_denied') fail('The request was denied.');
  if (err?.error === 'expired_token') fail('The code expired before anyone approved it: run the tool again.');
  fail(`Sign-in failed: ${describe(err)}`);
}

// openid-client has checked the ID token's iss, aud, exp and signature algorithm; it came straight from the token
// endpoint over the connection we opened (OIDC Core §3.1.3.7).
const claims = tokens.claims();
if (claims) process.stdout.write(`Signed in as ${claims.name || claims.sub}\n`);
process.stdout.write(`Access token for ${resource}, scope ${tokens.scope ?? scope}, valid ${tokens.expires_in} s\n`);

// RFC 6750 §2.1: the access token as a Bearer token. The API checks its signature, aud, typ and scope.
const answer = await fetch(`${apiUrl}/api/me`, { headers: { Authorization: `Bearer ${tokens.access_token}` } }).catch((err) => fail(`cannot reach the API at ${apiUrl}: ${err.message}`));
const body = await answer.text();
process.stdout.write(`API answered ${answer.status}: ${body}\n`);
if (!answer.ok) process.exit(1);

/** An OAuth error as `error: description`, anything else by its message. Never a token. */
function describe(err) {
  if (err?.error) return err.error_description ? `${err.error}: ${err.error_description}` : err.error;
  return err?.message ?? String(err);
}
