// Every HTTP request Gatehouse makes to an upstream OpenID Connect or OAuth 2 provider (issue 23) goes through
// upstreamFetch, openid-client's `customFetch`: bounded in time (FEDERATION_TIMEOUT_MS, on each call and on its
// body), bounded in size (1 MiB, read as a stream and aborted beyond), never following a redirect (an upstream
// endpoint that redirects is misconfigured or hijacked: RFC 6749 §3.2 and OIDC Discovery §4 name the endpoint
// itself), and only to an https URL or plain http on a loopback host (development and tests). A discovery
// document naming endpoints elsewhere is caught here too, since every request passes.
//
// upstreamFailure turns whatever went wrong into an UpstreamSignInFailed with a page-safe message; its detail
// (the log's only) names the failure's kind and code, never a request's parameters, codes, tokens or secrets.
import { isIP } from 'node:net';
import { ResponseBodyError } from 'openid-client';
import { constantTimeEqual } from '../auth/secrets.js';
import { UpstreamSignInFailed } from '../errors.js';

/** Upstream answers larger than this are refused (a discovery document or JWKS is a few KiB). */
export const MAX_UPSTREAM_BODY_BYTES = 1024 * 1024;

/** What openid-client's customFetch is called with (openid-client's CustomFetch options). */
export interface UpstreamFetchInit {
  body?: FetchBody | undefined;
  headers: Record<string, string>;
  method: string;
  redirect: 'manual';
  signal?: AbortSignal | undefined;
}
type FetchBody = ArrayBuffer | null | ReadableStream | string | Uint8Array | undefined | URLSearchParams;

export type UpstreamFetch = (url: string, init: UpstreamFetchInit) => Promise<Response>;

/** A response body beyond MAX_UPSTREAM_BODY_BYTES. */
export class UpstreamBodyTooLarge extends Error {
  constructor() {
    super(`the upstream's answer is larger than ${MAX_UPSTREAM_BODY_BYTES} bytes`);
  }
}

/** The upstream answered with a redirect; none is followed. */
export class UpstreamRedirected extends Error {
  constructor(status: number) {
    super(`the upstream answered with a redirect (${status}), which is not followed`);
  }
}

/** 127.0.0.0/8, ::1 or `localhost` (and its subdomains, RFC 6761 §6.3). */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  if (isIP(host) === 6) return host === '::1' || host === '0:0:0:0:0:0:0:1';
  return false;
}

/** Whether Gatehouse may send a request to this URL: https, or http on a loopback host; never credentials in it. */
export function isAllowedUpstreamUrl(url: URL): boolean {
  if (url.username !== '' || url.password !== '') return false;
  return url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname));
}

/** The URL, or UpstreamSignInFailed (502) naming it in the detail only. */
export function checkUpstreamUrl(value: string, name: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UpstreamSignInFailed(unavailable(name), 'an upstream URL is not a URL').shown('federation.upstream.unavailable', { provider: name });
  }
  if (!isAllowedUpstreamUrl(url)) {
    throw new UpstreamSignInFailed(unavailable(name), `upstream URL refused (https, or http on a loopback host only): ${url.origin}`).shown('federation.upstream.unavailable', { provider: name });
  }
  return url;
}

/** Whether any of these (checked) URLs is plain http, so openid-client must be told to allow it. */
export function needsInsecureRequests(...urls: URL[]): boolean {
  return urls.some((url) => url.protocol === 'http:');
}

/** Reads at most MAX_UPSTREAM_BODY_BYTES of a body, cancelling the stream beyond. */
async function boundedBody(response: Response): Promise<Uint8Array> {
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > MAX_UPSTREAM_BODY_BYTES) {
    await response.body?.cancel().catch(() => undefined);
    throw new UpstreamBodyTooLarge();
  }
  if (!response.body) return new Uint8Array(0);
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_UPSTREAM_BODY_BYTES) {
      await reader.cancel().catch(() => undefined);
      throw new UpstreamBodyTooLarge();
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  return bytes;
}

/**
 * openid-client's customFetch for one upstream: each call (and its body) bounded by `timeoutMs` as well as by
 * openid-client's own signal, the URL checked, no redirect followed, the body read whole (≤ 1 MiB) into a new
 * Response so nothing later reads an unbounded stream.
 */
export function upstreamFetch(options: { timeoutMs: number }): UpstreamFetch {
  return async (url, init) => {
    const target = new URL(url);
    if (!isAllowedUpstreamUrl(target)) throw new UpstreamUrlRefused(target);
    const timeout = AbortSignal.timeout(options.timeoutMs);
    const signal = init.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
    const response = await fetch(target, { method: init.method, headers: init.headers, body: init.body as RequestInit['body'], redirect: 'manual', signal });
    if (response.status >= 300 && response.status < 400) {
      await response.body?.cancel().catch(() => undefined);
      throw new UpstreamRedirected(response.status);
    }
    const bytes = await boundedBody(response);
    // 204/205/304 may not carry a body in a Response.
    const body = response.status === 204 || response.status === 205 ? null : bytes;
    return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
  };
}

/** A request to a URL that is neither https nor loopback http (e.g. named by a discovery document). */
export class UpstreamUrlRefused extends Error {
  constructor(url: URL) {
    super(`upstream URL refused (https, or http on a loopback host only): ${url.origin}`);
  }
}

export function unavailable(name: string): string {
  return `${name} is not available right now. Try again later.`;
}

export function tooSlow(name: string): string {
  return `${name} did not answer in time. Try again later.`;
}

/** The upstream's `error` code as it may be shown: RFC 6749 §4.1.2.1 codes are short ASCII words. */
export function safeErrorCode(code: unknown): string {
  return typeof code === 'string' && /^[A-Za-z0-9_.-]{1,64}$/.test(code) ? code : 'unknown_error';
}

/** The error and its Error causes (a cause that is not an Error is data: a parsed body, parameters). */
function causes(error: unknown): Error[] {
  const chain: Error[] = [];
  let current: unknown = error;
  while (current instanceof Error && chain.length < 10 && !chain.includes(current)) {
    chain.push(current);
    current = current.cause;
  }
  return chain;
}

function codeOf(error: Error): string | undefined {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

/** An error's name, code and message for the log: never its cause's data (which may hold parameters, codes or tokens). */
function describe(error: Error): string {
  const code = codeOf(error);
  return `${error.name}${code ? ` ${code}` : ''}: ${error.message}`;
}

/** oauth4webapi's codes for an ID token that failed its checks (signature, key, claims, times). */
const UNVERIFIABLE_CODES = new Set(['OAUTH_JWT_CLAIM_COMPARISON_FAILED', 'OAUTH_JWT_TIMESTAMP_CHECK_FAILED', 'OAUTH_KEY_SELECTION_FAILED']);

export function unverifiable(name: string): string {
  return `${name} sent an answer that could not be verified. Please start again.`;
}

/**
 * What an upstream call's failure means for the person: UpstreamSignInFailed as is; a timeout → 504; an OAuth
 * error answer (RFC 6749 §5.2) → 502 with its code in the detail; an oversized body, a redirect, a refused URL,
 * a refused connection, a 5xx or a malformed answer → 502. `step` names the call in the detail ("discovery",
 * "token request", "userinfo").
 */
export function upstreamFailure(name: string, step: string, error: unknown): UpstreamSignInFailed {
  const chain = causes(error);
  const known = chain.find((e): e is UpstreamSignInFailed => e instanceof UpstreamSignInFailed);
  if (known) return known;
  const detail = `${step}: ${chain.map(describe).join(' <- ')}`.slice(0, 1000);
  if (chain.some((e) => e.name === 'TimeoutError' || codeOf(e) === 'OAUTH_TIMEOUT' || codeOf(e) === 'UND_ERR_HEADERS_TIMEOUT')) {
    return new UpstreamSignInFailed(tooSlow(name), detail, 504).shown('federation.upstream.tooSlow', { provider: name });
  }
  if (chain.some((e) => UNVERIFIABLE_CODES.has(codeOf(e) ?? '') || e.message === 'JWT signature verification failed')) {
    return new UpstreamSignInFailed(unverifiable(name), detail, 502).shown('federation.upstream.unverifiable', { provider: name });
  }
  const oauthError = chain.find((e): e is ResponseBodyError => e instanceof ResponseBodyError);
  if (oauthError) {
    return new UpstreamSignInFailed(unavailable(name), `${step}: the upstream answered ${oauthError.status} ${safeErrorCode(oauthError.error)}`, 502).shown('federation.upstream.unavailable', {
      provider: name,
    });
  }
  return new UpstreamSignInFailed(unavailable(name), detail, 502).shown('federation.upstream.unavailable', { provider: name });
}

/**
 * The checks of an authorization response (the callback's query) before its code is used, the same for both
 * kinds (openid-client repeats them; these give the person the right message):
 *  - RFC 9207 §2.4: an `iss` parameter must be the upstream's issuer whenever present (whether or not the
 *    upstream advertises `authorization_response_iss_parameter_supported`), and must be present when advertised
 *    — the defence against an authorization server mix-up;
 *  - RFC 6749 §10.12: `state` must be this browser's sign-in's (constant-time compare);
 *  - RFC 6749 §4.1.2.1: an `error` answer, bound by the same state, is what the upstream decided → 403.
 */
export function checkCallback(name: string, params: URLSearchParams, expectedState: string, issuer: string, issAdvertised: boolean): void {
  const iss = params.getAll('iss');
  if (iss.length > 1 || (iss.length === 1 && iss[0] !== issuer) || (iss.length === 0 && issAdvertised)) {
    throw new UpstreamSignInFailed(mismatch(name), iss.length === 0 ? 'callback without the iss parameter the upstream advertises' : 'callback iss names another issuer', 400).shown(
      'federation.upstream.mismatch',
      { provider: name },
    );
  }
  const state = params.getAll('state');
  if (state.length !== 1 || !constantTimeEqual(state[0] ?? '', expectedState)) {
    throw new UpstreamSignInFailed(mismatch(name), state.length === 0 ? 'callback without state' : 'callback state does not match', 400).shown('federation.upstream.mismatch', { provider: name });
  }
  if (params.has('error')) {
    const code = safeErrorCode(params.get('error'));
    throw new UpstreamSignInFailed(`${name} did not sign you in (${code}).`, `the upstream answered error=${code}`, 403).shown('federation.upstream.declined', { provider: name, code });
  }
  if (params.getAll('code').length !== 1 || !params.get('code')) {
    throw new UpstreamSignInFailed(mismatch(name), 'callback without exactly one code', 400).shown('federation.upstream.mismatch', { provider: name });
  }
}

export function mismatch(name: string): string {
  return `This answer from ${name} does not belong to a sign-in started in this browser. Please start again.`;
}
