// Standard Webhooks signatures (issue 26, src/delivery/webhook-signature.ts), checked by an independent
// implementation (the `standardwebhooks` package, as a receiver would use it): a signature verifies for the body,
// id and timestamp it was made for and for nothing else, a stale or future timestamp is refused (the replay
// window), and another endpoint's secret verifies nothing. And the retry waits (src/delivery/backoff.ts).
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { MAX_RETRY_DELAY_MS, retryDelayMs } from '../../src/delivery/backoff.js';
import { generateWebhookSecret, signWebhook, webhookHeaders, webhookSecretAad } from '../../src/delivery/webhook-signature.js';

const BODY = JSON.stringify({ type: 'user.created', timestamp: '2030-01-01T00:00:00.000Z', data: { event_id: 7 } });

describe('webhook signatures (Standard Webhooks)', () => {
  it('makes a whsec_ secret of 32 random bytes, a different one each time', () => {
    const secret = generateWebhookSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(secret.slice(6), 'base64')).toHaveLength(32);
    expect(generateWebhookSecret()).not.toBe(secret);
    expect(webhookSecretAad('wh_1')).toBe('webhook:wh_1');
  });

  it('signs so that a Standard Webhooks receiver verifies the body, and refuses any change, another secret or a stale time', () => {
    const secret = generateWebhookSecret();
    const now = Math.floor(Date.now() / 1000);
    const headers = webhookHeaders(secret, 'msg_1', now, BODY);
    expect(headers).toMatchObject({ 'content-type': 'application/json', 'user-agent': 'Gatehouse-Webhooks', 'webhook-id': 'msg_1', 'webhook-timestamp': String(now) });
    const receiver = new Webhook(secret);
    expect(receiver.verify(BODY, headers)).toEqual(JSON.parse(BODY));
    // The package's own signature for the same message is ours.
    expect(receiver.sign('msg_1', new Date(now * 1000), BODY)).toBe(headers['webhook-signature']);

    expect(() => receiver.verify(BODY.replace('7', '8'), headers)).toThrow(WebhookVerificationError);
    expect(() => receiver.verify(BODY, { ...headers, 'webhook-id': 'msg_2' })).toThrow(WebhookVerificationError);
    expect(() => new Webhook(generateWebhookSecret()).verify(BODY, headers)).toThrow(WebhookVerificationError);
    // A replay ten minutes later (the receiver's window is five), or a timestamp from the future, is refused even signed right.
    const stale = now - 600;
    expect(() => receiver.verify(BODY, webhookHeaders(secret, 'msg_1', stale, BODY))).toThrow(/too old/i);
    expect(() => receiver.verify(BODY, webhookHeaders(secret, 'msg_1', now + 600, BODY))).toThrow(/too new/i);
    expect(() => receiver.verify(BODY, { ...headers, 'webhook-timestamp': String(stale) })).toThrow(WebhookVerificationError);
  });

  it('refuses to sign with something that is not a webhook secret', () => {
    expect(() => signWebhook('not-a-secret', 'msg_1', 1, BODY)).toThrow();
  });
});

describe('retry waits', () => {
  it('doubles from the base at each failed attempt, up to an hour', () => {
    const middle = () => 0.5;
    expect([1, 2, 3, 4].map((attempts) => retryDelayMs(attempts, 10, middle))).toEqual([10_000, 20_000, 40_000, 80_000]);
    expect(retryDelayMs(30, 10, middle)).toBe(MAX_RETRY_DELAY_MS);
    expect(retryDelayMs(1, 3600, middle)).toBe(MAX_RETRY_DELAY_MS);
  });

  it('spreads each wait by at most a tenth either way, and never past the hour', () => {
    expect(retryDelayMs(1, 10, () => 0)).toBe(9_000);
    expect(retryDelayMs(1, 10, () => 0.999_999)).toBe(11_000);
    expect(retryDelayMs(2, 10, () => 0.25)).toBe(19_000);
    expect(retryDelayMs(20, 10, () => 0.999_999)).toBe(MAX_RETRY_DELAY_MS);
    expect(retryDelayMs(20, 10, () => 0)).toBe(0.9 * MAX_RETRY_DELAY_MS);
  });
});
