// Automatic rotation in the running server: every KEY_ROTATION_INTERVAL a new key is scheduled, published
// KEY_PREPUBLISH before it signs. Checked at start and periodically; a late check only delays the rotation.
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { Store } from '../store/store.js';
import { checkActivationHold } from './activation-hold.js';
import type { KeyRing } from './key-ring.js';
import { nextAutomaticActivation, type KeyPolicy } from './key-schedule.js';
import type { SigningKey } from './key-store.js';

export interface AutoRotationDependencies {
  keyRing: KeyRing;
  /** For the audit log. */
  store: Store;
  clock: Clock;
  policy: KeyPolicy;
  logger?: Logger;
  /** Issue 26, KEY_ACTIVATION_REQUIRES_READY: each check may hold the next activation (activation-hold.ts); absent, never. */
  keyReadiness?: Config['keyReadiness'];
}

const HOUR_MS = 3600 * 1000;

/** Schedules a new key when one is due; returns it, or null when nothing was due. */
export async function rotateIfDue(deps: AutoRotationDependencies): Promise<SigningKey | null> {
  // Fresh from the store: the `idp` tool may have scheduled a key that the directory watch has not reported yet.
  await deps.keyRing.reload();
  const { keys, signingKey } = deps.keyRing.schedule;
  const now = deps.clock.now();
  const activatesAt = nextAutomaticActivation(
    keys.map((timeline) => timeline.key),
    now,
    deps.policy,
  );
  if (activatesAt === null) return null;
  // Several nodes may find the same rotation due at once: one key is scheduled, the others see it.
  const key = await deps.keyRing.keyStore.rotateUnlessScheduled(now, activatesAt);
  if (key !== null) {
    const details = { activates_at: new Date(activatesAt).toISOString(), previous_kid: signingKey?.kid ?? null, automatic: true };
    await deps.store.audit.append({ at: now, type: 'key.rotation_scheduled', actor: 'system', subject: key.kid, ip: null, details });
    deps.logger?.info({ kid: key.kid, activatesAt: details.activates_at }, 'scheduled a new signing key');
  }
  // Served at once, not after the watch fires. Reloaded once the key is on record: a reload may refuse the key
  // set (nothing can sign until the new key activates), and a key it wrote is audited all the same.
  await deps.keyRing.reload();
  return key;
}

/**
 * Checks now and then every `everyMs` (by default a tenth of KEY_PREPUBLISH, at most an hour) until the returned
 * function is called, each time followed by the activation hold's check (KEY_ACTIVATION_REQUIRES_READY); that
 * function resolves once a check in progress has finished, so the store can close.
 */
export function startAutoRotation(deps: AutoRotationDependencies, everyMs = Math.min(HOUR_MS, Math.max(1000, deps.policy.prepublishMs / 10))): () => Promise<void> {
  let running: Promise<void> | null = null;
  const run = () => {
    running ??= rotateIfDue(deps)
      .then(async () => {
        if (deps.keyReadiness) await checkActivationHold({ ...deps, keyReadiness: deps.keyReadiness, checkIntervalMs: everyMs });
      })
      .then(
        () => undefined,
        (error: unknown) => deps.logger?.error({ err: error }, 'automatic key rotation failed; will try again'),
      )
      .finally(() => {
        running = null;
      });
  };
  run();
  const timer = setInterval(run, everyMs);
  // Stryker disable next-line CallExpression: unref only lets a process exit between checks; the server stops them on shutdown, and only a child process could tell
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
