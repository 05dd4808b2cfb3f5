// Standard Webhooks signatures (https://www.standardwebhooks.com, spec "Signature scheme"): each request carries
// `webhook-id` (the delivery's id, the same on every retry: receivers deduplicate on it), `webhook-timestamp`
// (the attempt's Unix time in seconds: receivers refuse a stale one, which bounds a replay), and
// `webhook-signature: v1,<base64 HMAC-SHA-256 of "<id>.<timestamp>.<body>">` under the endpoint's secret. The secret is
// `whsec_` and the base64 of 32 random bytes, the HMAC key being those bytes; any Standard Webhooks library
// (the `standardwebhooks` package, svix, …) verifies it. Kept free of heavy imports: `idp export`/`idp import`
// reseal the secrets with webhookSecretAad.
import { createHmac, randomBytes } from 'node:crypto';

export const WEBHOOK_SECRET_PREFIX = 'whsec_';
const SECRET_BYTES = 32;

/** A new endpoint's signing secret, generated here (never chosen by an administrator) and shown once. */
export function generateWebhookSecret(): string {
  return `${WEBHOOK_SECRET_PREFIX}${randomBytes(SECRET_BYTES).toString('base64')}`;
}

/** The associated data an endpoint's secret is sealed with (src/auth/secret-box.ts): a sealed secret copied into another endpoint's row does not open. */
export function webhookSecretAad(webhookId: string): string {
  return `webhook:${webhookId}`;
}

/** The key bytes of a `whsec_` secret. */
function keyOf(secret: string): Buffer {
  if (!secret.startsWith(WEBHOOK_SECRET_PREFIX)) throw new Error('not a webhook secret');
  return Buffer.from(secret.slice(WEBHOOK_SECRET_PREFIX.length), 'base64');
}

/** The `webhook-signature` header's value for one attempt: `v1,` and the base64 HMAC-SHA-256 of `<id>.<timestamp>.<body>`. */
export function signWebhook(secret: string, id: string, timestampSeconds: number, body: string): string {
  const mac = createHmac('sha256', keyOf(secret)).update(`${id}.${timestampSeconds}.${body}`).digest('base64');
  return `v1,${mac}`;
}

/** Every header of one attempt's request but its length. */
export function webhookHeaders(secret: string, id: string, timestampSeconds: number, body: string): Record<string, string> {
  return {
    'content-type': 'application/json',
    'user-agent': 'Gatehouse-Webhooks',
    'webhook-id': id,
    'webhook-timestamp': String(timestampSeconds),
    'webhook-signature': signWebhook(secret, id, timestampSeconds, body),
  };
}
