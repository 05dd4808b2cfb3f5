// METRICS_TOKEN and METRICS_PORT (issue 26): metrics are off unless one is set; the token is long, made of the
// characters a bearer token carries as it is, and never echoed in the refusal; the port is a port.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { ConfigError } from '../../src/errors.js';

const CWD = path.resolve('/srv/gatehouse');
const TOKEN = 'Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5';

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

describe('METRICS_TOKEN and METRICS_PORT', () => {
  it('leaves metrics off by default, and with blank values', () => {
    expect(loadConfig({}, CWD).metrics).toEqual({ token: null, port: null });
    expect(loadConfig({ METRICS_TOKEN: '  ', METRICS_PORT: '' }, CWD).metrics).toEqual({ token: null, port: null });
  });

  it('takes a token of at least 32 bearer-token characters (hex, base64 with padding), trimmed', () => {
    const hex = 'a'.repeat(31) + 'f';
    expect(loadConfig({ METRICS_TOKEN: hex }, CWD).metrics.token).toBe(hex);
    expect(loadConfig({ METRICS_TOKEN: `${TOKEN}==` }, CWD).metrics.token).toBe(`${TOKEN}==`);
    expect(loadConfig({ METRICS_TOKEN: ` ${TOKEN} ` }, CWD).metrics.token).toBe(TOKEN);
  });

  it('refuses a short token, or one with characters a bearer token cannot carry as they are, without echoing it', () => {
    for (const token of ['a'.repeat(31), `${TOKEN} x`, `${TOKEN}"`, `${TOKEN},x`, `=${TOKEN}`, `${TOKEN}é`]) {
      const error = refusal({ METRICS_TOKEN: token });
      expect(error.variable, token).toBe('METRICS_TOKEN');
      expect(error.message).not.toContain(token.trim().slice(0, 20));
      expect(error.message).toMatch(/^METRICS_TOKEN must be at least 32 characters/);
    }
  });

  it('takes a port from 1 to 65535 for the loopback listener, with or without a token', () => {
    expect(loadConfig({ METRICS_PORT: '9464' }, CWD).metrics).toEqual({ token: null, port: 9464 });
    expect(loadConfig({ METRICS_PORT: '65535', METRICS_TOKEN: TOKEN }, CWD).metrics).toEqual({ token: TOKEN, port: 65535 });
    for (const port of ['0', '65536', '-1', '94.64', 'http', '9464x']) {
      const error = refusal({ METRICS_PORT: port });
      expect(error.variable, port).toBe('METRICS_PORT');
      expect(error.message).toBe(`METRICS_PORT must be a whole number from 1 to 65535 (got "${port}")`);
    }
  });
});
