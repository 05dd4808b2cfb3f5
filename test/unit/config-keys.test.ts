// The key-rotation settings: a new key must be published longer than any cached JWKS lives, and rotations
// must be further apart than that.
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';

const load = (env: Record<string, string>) => loadConfig(env, '/tmp');

describe('KEY_PREPUBLISH and KEY_ROTATION_INTERVAL', () => {
  it('default to one day of prepublication and a rotation every 90 days', () => {
    const config = load({});
    expect([config.jwksMaxAge, config.keyPrepublish, config.keyRotationInterval]).toEqual([300, 86_400, 7_776_000]);
  });

  it('default the prepublication to JWKS_MAX_AGE + 60 s when a day is not enough', () => {
    expect(load({ JWKS_MAX_AGE: '86400' }).keyPrepublish).toBe(86_460);
  });

  it('accept a prepublication of exactly JWKS_MAX_AGE + 60 s', () => {
    expect(load({ JWKS_MAX_AGE: '60', KEY_PREPUBLISH: '120', KEY_ROTATION_INTERVAL: '121' })).toMatchObject({ keyPrepublish: 120, keyRotationInterval: 121 });
  });

  it('refuse a prepublication shorter than a cached JWKS may live, saying why', () => {
    expect(() => load({ JWKS_MAX_AGE: '300', KEY_PREPUBLISH: '359' })).toThrow(
      'KEY_PREPUBLISH must be at least JWKS_MAX_AGE + 60 (360) seconds, so that every cached JWKS holds a new key before it signs (got 359)',
    );
  });

  it('refuse a rotation interval not longer than the prepublication', () => {
    expect(() => load({ KEY_PREPUBLISH: '3600', KEY_ROTATION_INTERVAL: '3600' })).toThrow('KEY_ROTATION_INTERVAL must be longer than KEY_PREPUBLISH (3600 seconds) (got 3600)');
  });

  it('refuse values that are not whole numbers of seconds', () => {
    expect(() => load({ KEY_PREPUBLISH: '1d' })).toThrow(/^KEY_PREPUBLISH must be a whole number/);
    expect(() => load({ KEY_ROTATION_INTERVAL: '-5' })).toThrow(/^KEY_ROTATION_INTERVAL must be a whole number/);
  });
});

describe('KEY_REFRESH_INTERVAL (PostgreSQL: how often every node re-reads the shared key set)', () => {
  it('defaults to 15 s, within the 30 s every node must serve a change made by another', () => {
    expect(load({}).keyRefreshInterval).toBe(15);
  });

  it('is always shorter than the shortest possible prepublication, so every node publishes a key before any signs with it', () => {
    const config = load({ JWKS_MAX_AGE: '0', KEY_PREPUBLISH: '60', KEY_ROTATION_INTERVAL: '61', KEY_REFRESH_INTERVAL: '30' });
    expect(config.keyRefreshInterval).toBeLessThan(config.keyPrepublish);
  });

  it('refuses anything but 1 to 30 whole seconds', () => {
    for (const bad of ['0', '31', '2.5', 'soon']) {
      expect(() => load({ KEY_REFRESH_INTERVAL: bad })).toThrow(/^KEY_REFRESH_INTERVAL must be a whole number from 1 to 30/);
    }
  });
});
