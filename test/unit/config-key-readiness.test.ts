// KEY_ACTIVATION_REQUIRES_READY and KEY_READY_DEADLINE (issue 26): whether an automatic rotation's key waits for
// the applications to fetch it (src/signing/activation-hold.ts), and for how long at most.
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';

const load = (env: Record<string, string>) => loadConfig(env, '/tmp');

describe('KEY_ACTIVATION_REQUIRES_READY and KEY_READY_DEADLINE', () => {
  it('default to no hold, and a deadline of 7 days past the scheduled activation', () => {
    expect(load({}).keyReadiness).toEqual({ required: false, deadlineSeconds: 7 * 86_400 });
  });

  it('take true or false, and a deadline from 0 to 90 days in whole seconds', () => {
    expect(load({ KEY_ACTIVATION_REQUIRES_READY: 'true', KEY_READY_DEADLINE: '0' }).keyReadiness).toEqual({ required: true, deadlineSeconds: 0 });
    expect(load({ KEY_ACTIVATION_REQUIRES_READY: 'false', KEY_READY_DEADLINE: String(90 * 86_400) }).keyReadiness).toEqual({ required: false, deadlineSeconds: 90 * 86_400 });
  });

  it('take a blank value as unset, as every variable does', () => {
    expect(load({ KEY_ACTIVATION_REQUIRES_READY: ' ', KEY_READY_DEADLINE: '' }).keyReadiness).toEqual({ required: false, deadlineSeconds: 7 * 86_400 });
  });

  it('refuse anything else, naming the variable and the value', () => {
    for (const bad of ['yes', '1', 'TRUE']) {
      expect(() => load({ KEY_ACTIVATION_REQUIRES_READY: bad })).toThrow(`KEY_ACTIVATION_REQUIRES_READY must be one of true, false (got ${JSON.stringify(bad)})`);
    }
    for (const bad of ['-1', '7d', '1.5', String(90 * 86_400 + 1)]) {
      expect(() => load({ KEY_READY_DEADLINE: bad })).toThrow(`KEY_READY_DEADLINE must be a whole number from 0 to 7776000 (got ${JSON.stringify(bad)})`);
    }
  });
});
