// Secrets sealed at rest travel re-sealed, as private signing keys do: a store's secrets box (src/auth/secret-box.ts)
// is its own (KEYS_DIR/secrets.key with SQLite, KEY_ENCRYPTION_KEY with PostgreSQL), so `idp export` opens each
// sealed value with the source's box and seals it again under TRANSFER_KEY, and `idp import` opens it with
// TRANSFER_KEY and seals it under the target's box. The associated data stays `totp:<userId>` throughout.
// Only `totp_credentials.sealed_secret` is sealed this way; every other row travels as it is.
import type { SecretBox } from '../auth/secret-box.js';
import { totpSecretAad } from '../auth/totp.js';
import { KeyStoreError } from '../errors.js';
import type { TransferRow } from '../store/transfer/tables.js';

const SEALED_TABLE = 'totp_credentials';

/** Whether rows of this table hold a sealed secret, so that resealing them needs the boxes. */
export function holdsSealedSecrets(tableName: string): boolean {
  return tableName === SEALED_TABLE;
}

/**
 * The row with its secret opened by `from` and sealed again by `to`; any other table's row unchanged. A secret
 * `from` cannot open is a KeyStoreError naming the person (never the secret), `cannotOpen` saying why it may be.
 */
export function resealRow(tableName: string, row: TransferRow, from: SecretBox, to: SecretBox, cannotOpen: string): TransferRow {
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
