// The token endpoint with DPoP (RFC 9449 §5) for tests: raw token requests carrying hand-made proofs (for what a
// client library would never send), the server's nonce as a client learns it, and readers of what a request wrote.
import http from 'node:http';
import { decodeJwt } from 'jose';
import { expect } from 'vitest';
import { hashSecret } from '../../src/auth/secrets.js';
import type { Issuer } from '../helpers/oidc.js';
import { countRows } from '../helpers/rows.js';
import type { RunningApp } from '../helpers/start-app.js';
import { makeProof, type ProofClaims, type ProofKey } from './dpop-resource-helpers.js';

export interface TokenAnswer {
  status: number;
  json: Record<string, unknown>;
  /** The DPoP-Nonce response header (RFC 9449 §8.1); null when absent. */
  nonce: string | null;
}

const NONCE = /^[A-Za-z0-9_-]{32}$/;

export const tokenUrl = (app: Issuer) => `${app.config.issuer}/token`;

/** A raw POST /token with a form body, optional `DPoP` headers (one per value) and other headers; no-store JSON always. */
export async function tokenCall(app: Issuer, fields: Record<string, string>, dpop: string[] = [], headers: Record<string, string> = {}): Promise<TokenAnswer> {
  const url = new URL(tokenUrl(app));
  const body = new URLSearchParams(fields).toString();
  // node:http, not fetch: fetch joins repeated headers into one, and a test must be able to send two DPoP headers.
  return new Promise((resolve, reject) => {
    const request = http.request(
      url,
      {
        method: 'POST',
        headers: {
          'Content-Type': 'application/x-www-form-urlencoded',
          'Content-Length': Buffer.byteLength(body),
          ...headers,
          ...(dpop.length === 0 ? {} : { DPoP: dpop }),
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          try {
            expect(response.headers['cache-control']).toBe('no-store');
            expect(response.headers['content-type']).toMatch(/^application\/json/);
            const nonce = response.headers['dpop-nonce'];
            resolve({
              status: response.statusCode ?? 0,
              json: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>,
              nonce: typeof nonce === 'string' ? nonce : null,
            });
          } catch (error) {
            reject(error as Error);
          }
        });
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

/** The server's current nonce, as a client learns it: from the use_dpop_nonce answer to a proof without one. */
export async function serverNonce(app: Issuer, key: ProofKey): Promise<string> {
  const answer = await tokenCall(app, { grant_type: 'client_credentials' }, [await makeProof(key, { htm: 'POST', htu: tokenUrl(app) })]);
  expect([answer.status, answer.json.error]).toEqual([400, 'use_dpop_nonce']);
  expect(answer.nonce).toMatch(NONCE);
  return answer.nonce ?? '';
}

/** A proof for POST /token with the server's nonce, good unless `claims` says otherwise. */
export async function tokenProof(app: Issuer, key: ProofKey, claims: Partial<ProofClaims> = {}): Promise<string> {
  return makeProof(key, { htm: 'POST', htu: tokenUrl(app), nonce: await serverNonce(app, key), ...claims });
}

/** Asserts a refused token request: 400, exactly this error body, and a fresh DPoP-Nonce when the request had a proof. */
export function expectRefused(answer: TokenAnswer, error: string, description: string, { withNonce = true } = {}): void {
  expect({ status: answer.status, body: answer.json }).toEqual({ status: 400, body: { error, error_description: description } });
  if (withNonce) expect(answer.nonce).toMatch(NONCE);
}

/** The `cnf.jkt` a JWT access token carries; undefined for a bearer token. */
export function cnfJkt(accessToken: string): string | undefined {
  return (decodeJwt(accessToken).cnf as { jkt?: string } | undefined)?.jkt;
}

/** The recorded binding of a JWT access token (its record's jkt), null for a bearer token. */
export async function accessTokenJkt(app: RunningApp, accessToken: string): Promise<string | null> {
  const record = await app.store.accessTokens.findLive(decodeJwt(accessToken).jti ?? '', app.clock.now());
  expect(record, 'access token record').not.toBeNull();
  return record?.jkt ?? null;
}

/** The recorded binding of a refresh token, and whether it was rotated. */
export async function refreshState(app: RunningApp, refreshToken: string): Promise<{ jkt: string | null; rotated: boolean }> {
  const record = await app.store.refreshTokens.find(hashSecret(refreshToken));
  expect(record, 'refresh token record').not.toBeNull();
  return { jkt: record?.jkt ?? null, rotated: record?.rotatedAt != null };
}

/** How many DPoP proof jtis the store remembers (a refused proof adds none). */
export function spentProofs(app: RunningApp): Promise<number> {
  return countRows(app, "SELECT count(*) AS n FROM used_jtis WHERE kind = 'dpop_proof'");
}
