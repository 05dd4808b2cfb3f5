// What a browser sign-in at an upstream provider keeps between the redirect there and the callback (issue 23): a
// federation_states row of kind 'login', keyed by the SHA-256 of the `state` sent upstream (RFC 6749 §10.12: the
// value that ties the callback to this browser's request), bound to the browser's cookie, used once, ten minutes.
// Its value is sealed by the secret box (AES-256-GCM, src/auth/secret-box.ts) with associated data naming the
// row (`federation-state:<idHash>`): the PKCE verifier (RFC 7636) and the nonce (OIDC Core §3.1.2.1) never sit in
// the store in clear, and a value copied into another row fails to open.
import { z } from 'zod';
import type { SecretBox } from '../auth/secret-box.js';
import { hashSecret } from '../auth/secrets.js';
import type { Clock } from '../clock.js';
import type { FederationStateRecord } from '../store/records.js';
import type { Store } from '../store/store.js';

/** Long enough to sign in at the upstream (a password, its own second factor); short enough that a stolen state goes stale. */
export const LOGIN_STATE_LIFETIME_MS = 10 * 60 * 1000;

/** Associated data sealing a federation state's value to its row ('login' here, 'link' in linking.ts). */
export function federationStateAad(idHash: string): string {
  return `federation-state:${idHash}`;
}

/** Where the sign-in goes on once the upstream has answered: an application's pending request, or one of our pages. */
export type LoginStateTarget = { request: string } | { return_to: string };

/** The sealed value of a 'login' state. */
export type LoginStateValue = { nonce: string | null; codeVerifier: string } & LoginStateTarget;

const loginStateSchema = z.union([
  z.strictObject({ nonce: z.string().min(1).nullable(), codeVerifier: z.string().min(43).max(128), request: z.string().min(1) }),
  z.strictObject({ nonce: z.string().min(1).nullable(), codeVerifier: z.string().min(43).max(128), return_to: z.string().min(1) }),
]);

/** Stores the 'login' state of `state` (the value the upstream hands back), bound to `browser`. */
export async function storeLoginState(
  deps: { store: Store; clock: Clock; secretBox: () => Promise<SecretBox> },
  { state, browser, providerSlug, value }: { state: string; browser: string; providerSlug: string; value: LoginStateValue },
): Promise<void> {
  const idHash = hashSecret(state);
  const now = deps.clock.now();
  const box = await deps.secretBox();
  await deps.store.federationStates.create({
    idHash,
    kind: 'login',
    providerSlug,
    browserHash: hashSecret(browser),
    userId: null,
    value: box.seal(JSON.stringify(value), federationStateAad(idHash)),
    createdAt: now,
    expiresAt: now + LOGIN_STATE_LIFETIME_MS,
  });
}

/**
 * The value of a consumed 'login' state. Throws (KeyStoreError) when it does not open under its row's associated
 * data, and a plain Error when what opens is not a login state's value: neither can come from a row we wrote.
 */
export async function openLoginState(secretBox: () => Promise<SecretBox>, record: Pick<FederationStateRecord, 'idHash' | 'value'>): Promise<LoginStateValue> {
  const box = await secretBox();
  const parsed = loginStateSchema.safeParse(JSON.parse(box.open(record.value, federationStateAad(record.idHash))));
  if (!parsed.success) throw new Error('a federation login state holds an unreadable value');
  return parsed.data;
}
