// Webhook signing secrets in `idp export` / `idp import` (src/manage/transfer-secrets.ts, issue 26): sealed at rest
// under a store's secret box with the endpoint's id as associated data, they travel re-sealed, as TOTP secrets do.
import { describe, expect, it } from 'vitest';
import { secretBox } from '../../src/auth/secret-box.js';
import { generateWebhookSecret, webhookSecretAad } from '../../src/delivery/webhook-signature.js';
import { KeyStoreError } from '../../src/errors.js';
import { holdsSealedSecrets, resealRow } from '../../src/manage/transfer-secrets.js';

const source = secretBox(Buffer.alloc(32, 1));
const transfer = secretBox(Buffer.alloc(32, 2));
const CANNOT_OPEN = 'the key is not the one it was sealed with';

describe('webhook secrets in a transfer', () => {
  const secret = generateWebhookSecret();
  const row = { id: 'wh-1', url: 'https://siem.example/hook', secret_sealed: source.seal(secret, webhookSecretAad('wh-1')), enabled: true };

  it('are re-sealed from one box to the other, bound to the same endpoint, the rest of the row as it was', () => {
    expect(holdsSealedSecrets('webhooks')).toBe(true);
    expect(holdsSealedSecrets('webhook_event_types')).toBe(false);
    const moved = resealRow('webhooks', row, source, transfer, CANNOT_OPEN);
    expect(moved).toEqual({ ...row, secret_sealed: expect.any(String) as string });
    expect(moved.secret_sealed).not.toBe(row.secret_sealed);
    expect(transfer.open(String(moved.secret_sealed), webhookSecretAad('wh-1'))).toBe(secret);
    expect(() => transfer.open(String(moved.secret_sealed), webhookSecretAad('wh-2'))).toThrow(KeyStoreError);
  });

  it('refuse a secret the box does not open, or one moved to another endpoint, naming the endpoint and never the secret', () => {
    for (const [from, moved] of [
      [transfer, row],
      [source, { ...row, id: 'wh-2' }],
    ] as const) {
      const attempt = () => resealRow('webhooks', moved, from, transfer, CANNOT_OPEN);
      expect(attempt).toThrow(KeyStoreError);
      expect(attempt).toThrow(`the signing secret of webhook ${moved.id} cannot be decrypted: ${CANNOT_OPEN}`);
    }
    expect(() => resealRow('webhooks', { ...row, secret_sealed: null }, source, transfer, CANNOT_OPEN)).toThrow('a webhooks row has no id or no sealed secret');
  });
});
