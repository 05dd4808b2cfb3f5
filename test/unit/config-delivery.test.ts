// DELIVERY_RETRY_BASE and DELIVERY_MAX_ATTEMPTS (issue 26): the delivery queue's first wait (seconds, doubled at
// each further attempt) and the attempts before a delivery is dead; each a whole number in its range, or the start
// is refused with the variable named.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { ConfigError } from '../../src/errors.js';

const CWD = path.resolve('/srv/gatehouse');

function refusal(env: Record<string, string>): ConfigError {
  let caught: unknown;
  try {
    loadConfig(env, CWD);
  } catch (error) {
    caught = error;
  }
  expect(caught, JSON.stringify(env)).toBeInstanceOf(ConfigError);
  return caught as ConfigError;
}

describe('DELIVERY_RETRY_BASE and DELIVERY_MAX_ATTEMPTS', () => {
  it('waits 10 seconds before the second attempt and makes 10 attempts by default', () => {
    expect(loadConfig({}, CWD).delivery).toEqual({ retryBaseSeconds: 10, maxAttempts: 10 });
  });

  it('takes a base from 1 second to an hour and from 1 to 30 attempts', () => {
    expect(loadConfig({ DELIVERY_RETRY_BASE: '1', DELIVERY_MAX_ATTEMPTS: '30' }, CWD).delivery).toEqual({ retryBaseSeconds: 1, maxAttempts: 30 });
    expect(loadConfig({ DELIVERY_RETRY_BASE: '3600', DELIVERY_MAX_ATTEMPTS: '1' }, CWD).delivery).toEqual({ retryBaseSeconds: 3600, maxAttempts: 1 });
  });

  it('refuses anything else, naming the variable', () => {
    for (const value of ['0', '3601', '1.5', '-1', 'ten']) expect(refusal({ DELIVERY_RETRY_BASE: value }).variable, value).toBe('DELIVERY_RETRY_BASE');
    for (const value of ['0', '31', '2.5', 'many']) expect(refusal({ DELIVERY_MAX_ATTEMPTS: value }).variable, value).toBe('DELIVERY_MAX_ATTEMPTS');
  });
});
