// Secrets sealed at rest travel re-sealed, as private signing keys do: a store's secrets box (src/auth/secret-box.ts)
// is its own (KEYS_DIR/secrets.key with SQLite, KEY_ENCRYPTION_KEY with PostgreSQL), so `idp export` opens each
// sealed value with the source's box and seals it again under TRANSFER_KEY, and `idp import` opens it with
// TRANSFER_KEY and seals it under the target's box. The associated data stays `totp:<userId>` throughout.
// Recovery codes in the keyed format (`h1:`, src/auth/recovery-codes.ts) move the same way: the source's lookup
// key is taken off and TRANSFER_KEY's put on, then TRANSFER_KEY's off and the target's on, so the codes people
// printed keep working in a store with another secrets key. Legacy codes (plain SHA-256) travel as they are.
// The secrets of upstream identity providers (issue 23: `identity_providers.secret`, a client secret or a directory's
// bind password, associated data `identity-provider:<slug>`) move like TOTP secrets, and so do webhook endpoints'
// signing secrets (issue 26: `webhooks.secret_sealed`, associated data `webhook:<id>`), so that receivers go on
// verifying with the secret they hold. Every other row travels as it is.
import { rekeyRecoveryCodeHash } from '../auth/recovery-codes.js';
import type { SecretBox } from '../auth/secret-box.js';
import { totpSecretAad } from '../auth/totp.js';
import { webhookSecretAad } from '../delivery/webhook-signature.js';
import { KeyStoreError } from '../errors.js';
import { providerSecretAad } from '../federation/provider-settings.js';
import type { TransferRow } from '../store/transfer/tables.js';

const SEALED_TABLE = 'totp_credentials';
const RECOVERY_CODES_TABLE = 'recovery_codes';
const PROVIDERS_TABLE = 'identity_providers';
const WEBHOOKS_TABLE = 'webhooks';

/** Whether rows of this table hold a value under a store's key, so that moving them needs the boxes. */
export function holdsSealedSecrets(tableName: string): boolean {
  return tableName === SEALED_TABLE || tableName === RECOVERY_CODES_TABLE || tableName === PROVIDERS_TABLE || tableName === WEBHOOKS_TABLE;
}

/**
 * The row with its secret opened by `from` and sealed again by `to`; any other table's row unchanged. A secret
 * `from` cannot open is a KeyStoreError naming the person (never the secret), `cannotOpen` saying why it may be.
 */
export function resealRow(tableName: string, row: TransferRow, from: SecretBox, to: SecretBox, cannotOpen: string): TransferRow {
  if (tableName === RECOVERY_CODES_TABLE) return rekeyRecoveryCodes(row, from, to);
  if (tableName === PROVIDERS_TABLE) return resealProviderSecret(row, from, to, cannotOpen);
  if (tableName === WEBHOOKS_TABLE) return resealWebhookSecret(row, from, to, cannotOpen);
  if (!holdsSealedSecrets(tableName)) return row;
  const { user_id: userId, sealed_secret: sealed } = row;
  if (typeof userId !== 'string' || typeof sealed !== 'string') {
    throw new KeyStoreError(`a ${SEALED_TABLE} row has no user id or no sealed secret`);
  }
  const aad = totpSecretAad(userId);
  let secret: string;
  try {
    secret = from.open(sealed, aad);
  } catch (error) {
    if (!(error instanceof KeyStoreError)) throw error;
    throw new KeyStoreError(`the authenticator secret of user ${userId} cannot be decrypted: ${cannotOpen}`);
  }
  return { ...row, sealed_secret: to.seal(secret, aad) };
}

/**
 * A recovery code row with its keyed hash moved from `from`'s lookup key to `to`'s. A permutation has no tag to
 * check: a wrong key gives a value that matches no code rather than an error. TRANSFER_KEY is checked on the
 * signing keys before any row, and a person with recovery codes has an authenticator whose sealed secret (moved
 * before these rows) fails loudly under a wrong secrets key.
 */
function rekeyRecoveryCodes(row: TransferRow, from: SecretBox, to: SecretBox): TransferRow {
  const { user_id: userId, code_hash: stored } = row;
  if (typeof userId !== 'string' || typeof stored !== 'string') throw new KeyStoreError(`a ${RECOVERY_CODES_TABLE} row has no user id or no code hash`);
  const moved = rekeyRecoveryCodeHash(stored, from, to);
  if (moved === null) throw new KeyStoreError(`a recovery code of user ${userId} is not in a format this version reads`);
  return { ...row, code_hash: moved };
}

/** A provider row with its secret (when it has one) opened by `from` and sealed by `to`, bound to its slug. */
function resealProviderSecret(row: TransferRow, from: SecretBox, to: SecretBox, cannotOpen: string): TransferRow {
  const { slug, secret: sealed } = row;
  if (typeof slug !== 'string') throw new KeyStoreError(`an ${PROVIDERS_TABLE} row has no slug`);
  if (sealed === null) return row;
  if (typeof sealed !== 'string') throw new KeyStoreError(`the secret of identity provider ${slug} is not text`);
  const aad = providerSecretAad(slug);
  let secret: string;
  try {
    secret = from.open(sealed, aad);
  } catch (error) {
    if (!(error instanceof KeyStoreError)) throw error;
    throw new KeyStoreError(`the secret of identity provider ${slug} cannot be decrypted: ${cannotOpen}`);
  }
  return { ...row, secret: to.seal(secret, aad) };
}

/** A webhook endpoint's row with its signing secret opened by `from` and sealed by `to`, bound to the endpoint's id. */
function resealWebhookSecret(row: TransferRow, from: SecretBox, to: SecretBox, cannotOpen: string): TransferRow {
  const { id, secret_sealed: sealed } = row;
  if (typeof id !== 'string' || typeof sealed !== 'string') throw new KeyStoreError(`a ${WEBHOOKS_TABLE} row has no id or no sealed secret`);
  const aad = webhookSecretAad(id);
  let secret: string;
  try {
    secret = from.open(sealed, aad);
  } catch (error) {
    if (!(error instanceof KeyStoreError)) throw error;
    throw new KeyStoreError(`the signing secret of webhook ${id} cannot be decrypted: ${cannotOpen}`);
  }
  return { ...row, secret_sealed: to.seal(secret, aad) };
}
