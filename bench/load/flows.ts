// The multi-request flows the benchmark drives, the same for every target: it discovers the endpoints, follows
// the server's own redirects, submits whatever login form the server shows, redeems codes with PKCE and
// client_secret_basic, and verifies every ID token (RS256, issuer, audience, nonce) as a relying party would.
import { createHash, randomBytes } from 'node:crypto';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import { formAction, formFields } from '../../test/helpers/browser.js';
import type { Target } from '../target.js';
import { VirtualUser, type Answer } from './http-client.js';

export interface FlowContext {
  target: Target;
  authorizationEndpoint: string;
  tokenEndpoint: string;
  jwksUri: string;
  jwks: ReturnType<typeof createLocalJWKSet>;
  basic: string;
}

export async function prepareFlows(target: Target): Promise<FlowContext> {
  const metadata = (await (await fetch(`${target.issuer}/.well-known/openid-configuration`)).json()) as Record<string, string>;
  const keys = (await (await fetch(metadata.jwks_uri ?? '')).json()) as JSONWebKeySet;
  const { clientId, clientSecret } = target.client;
  return {
    target,
    authorizationEndpoint: metadata.authorization_endpoint ?? '',
    tokenEndpoint: metadata.token_endpoint ?? '',
    jwksUri: metadata.jwks_uri ?? '',
    jwks: createLocalJWKSet(keys),
    basic: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64')}`,
  };
}

interface Started {
  answer: Answer;
  verifier: string;
  nonce: string;
}

export interface TokenSet {
  idToken: string;
  refreshToken: string | null;
  accessToken: string;
}

const random = () => randomBytes(32).toString('base64url');

/** An authorization request (PKCE S256, state, nonce), following the server's own redirects. */
async function authorize(vu: VirtualUser, ctx: FlowContext, scope: string): Promise<Started> {
  const verifier = random();
  const nonce = random();
  const url = new URL(ctx.authorizationEndpoint);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: ctx.target.client.clientId,
    redirect_uri: ctx.target.client.redirectUri,
    scope,
    state: random(),
    nonce,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  }).toString();
  const answer = await vu.follow(await vu.request('GET', url.toString()), new URL(ctx.target.issuer).origin);
  return { answer, verifier, nonce };
}

function codeOf(answer: Answer, ctx: FlowContext): string {
  const location = answer.location ?? '';
  if (!location.startsWith(ctx.target.client.redirectUri)) throw new Error(`expected a redirect to the client, got ${answer.status} ${location || answer.body.slice(0, 200)}`);
  const code = new URL(location).searchParams.get('code');
  if (!code) throw new Error(`the redirect carries no code: ${location}`);
  return code;
}

async function tokenRequest(vu: VirtualUser, ctx: FlowContext, form: Record<string, string>): Promise<TokenSet> {
  const answer = await vu.request('POST', ctx.tokenEndpoint, new URLSearchParams(form).toString(), { authorization: ctx.basic });
  if (answer.status !== 200) throw new Error(`token endpoint answered ${answer.status}: ${answer.body.slice(0, 200)}`);
  const json = JSON.parse(answer.body) as Record<string, string>;
  return { idToken: json.id_token ?? '', refreshToken: json.refresh_token ?? null, accessToken: json.access_token ?? '' };
}

async function redeem(vu: VirtualUser, ctx: FlowContext, started: Started): Promise<TokenSet> {
  const code = codeOf(started.answer, ctx);
  const tokens = await tokenRequest(vu, ctx, { grant_type: 'authorization_code', code, redirect_uri: ctx.target.client.redirectUri, code_verifier: started.verifier });
  const { payload } = await jwtVerify(tokens.idToken, ctx.jwks, { issuer: ctx.target.issuer, audience: ctx.target.client.clientId, algorithms: ['RS256'] });
  if (payload.nonce !== started.nonce) throw new Error('the ID token carries another nonce');
  return tokens;
}

/** A sign-in through the login form (the password check included), ending with verified tokens. */
export async function signInFlow(vu: VirtualUser, ctx: FlowContext, scope = 'openid email'): Promise<TokenSet> {
  const started = await authorize(vu, ctx, scope);
  if (started.answer.status !== 200) throw new Error(`expected a login form, got ${started.answer.status} ${started.answer.location ?? ''}`);
  const page = started.answer;
  const fields = { ...formFields(page.body), email: ctx.target.user.email, password: ctx.target.user.password };
  // Some servers name the login field `login` rather than `email`.
  if ('login' in fields) fields.login = ctx.target.user.email;
  const submitted = await vu.request('POST', formAction(page.body, page.url), new URLSearchParams(fields).toString());
  const answer = await vu.follow(submitted, new URL(ctx.target.issuer).origin);
  return redeem(vu, ctx, { ...started, answer });
}

/** Single sign-on: the user already has a session; authorization request → code → tokens, no form. */
export async function ssoFlow(vu: VirtualUser, ctx: FlowContext, scope = 'openid email'): Promise<TokenSet> {
  return redeem(vu, ctx, await authorize(vu, ctx, scope));
}

/** One refresh grant; returns the rotated refresh token. */
export async function refreshFlow(vu: VirtualUser, ctx: FlowContext, refreshToken: string): Promise<string> {
  const tokens = await tokenRequest(vu, ctx, { grant_type: 'refresh_token', refresh_token: refreshToken });
  if (!tokens.refreshToken) throw new Error('the refresh grant returned no refresh token');
  return tokens.refreshToken;
}
