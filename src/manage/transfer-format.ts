// The `idp export` file: JSON lines. The first line is a header (format, version, the schema it was read from,
// and how many rows of each table and how many signing keys follow), then one line per signing key, then one
// line per row, table by table. The header's counts let an import refuse a truncated file; private keys travel
// encrypted under TRANSFER_KEY with the kid as associated data, as they rest in PostgreSQL under its own key.
// TOTP secrets (`totp_credentials.sealed_secret`) rest sealed under a key of the store's own (secrets.key with
// SQLite, KEY_ENCRYPTION_KEY with PostgreSQL, src/auth/secret-box.ts), which the target need not share: the export
// opens each one and seals it again under TRANSFER_KEY (same format, `totp:<userId>` as associated data), and the
// import opens it with TRANSFER_KEY and seals it under the target's key (transfer-secrets.ts). A secret that does
// not open fails the export or the whole import, naming the user id. Keyed recovery codes (`recovery_codes.code_hash`
// in the `h1:` form, src/auth/recovery-codes.ts) are moved from the source's key to the target's the same way, so
// printed codes keep working. The secrets of upstream identity providers (`identity_providers.secret`, issue 23) move
// like TOTP secrets, with `identity-provider:<slug>` as associated data; a provider's other settings (its CA
// certificates among them) travel as they are. Sign-ins through a provider in progress (`federation_states`) are not
// exported: they last minutes. Legacy (plain SHA-256) recovery codes and every other row travel as they are.
import { z } from 'zod';

export const FORMAT = 'gatehouse-export';
export const FORMAT_VERSION = 1;

const count = z.number().int().nonnegative();
const time = z.number().int().nonnegative();

export const headerSchema = z.strictObject({
  format: z.literal(FORMAT),
  version: z.literal(FORMAT_VERSION),
  schema_version: z.number().int().positive(),
  exported_at: z.iso.datetime(),
  issuer: z.string(),
  signing_keys: count,
  /** Rows per table; which tables there are depends on the schema version, checked against this Gatehouse's. */
  rows: z.record(z.string(), count),
});
export type Header = z.infer<typeof headerSchema>;

export const keyLineSchema = z.strictObject({
  signing_key: z.strictObject({
    kid: z.string().regex(/^[A-Za-z0-9_-]{1,128}$/),
    alg: z.literal('RS256'),
    /** AES-256-GCM under TRANSFER_KEY, the kid as associated data (src/signing/key-encryption.ts). */
    private_key: z.string().min(1),
    created_at: time,
    activated_at: time,
    retired_at: time.nullable(),
    revoked_at: time.nullable(),
  }),
});
export type KeyLine = z.infer<typeof keyLineSchema>['signing_key'];

const value = z.union([z.string(), z.number().int().refine(Number.isSafeInteger, 'must be a safe integer'), z.boolean(), z.null()]);
export const rowLineSchema = z.strictObject({ table: z.string(), row: z.record(z.string(), value) });
