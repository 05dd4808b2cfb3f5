// Provider rows and linked identities for the federation tests (issue 23), built on the store contract's
// newProvider (test/store/engines.ts) so that every test starts from the same defaults: enabled, no JIT, no
// allowed domains, trusting neither email nor MFA, groups ignored.
import { afterEach, beforeEach } from 'vitest';
import { hashPassword } from '../../src/auth/password-hash.js';
import { openSecretBox, type SecretBox } from '../../src/auth/secret-box.js';
import { randomId, randomSecret } from '../../src/auth/secrets.js';
import { providerSecretAad } from '../../src/federation/provider-settings.js';
import { createProvider, type ProviderContext, type ProviderInput } from '../../src/manage/providers.js';
import type { IdentityProviderRecord, NewIdentityProvider, UserRecord } from '../../src/store/records.js';
import { newProvider, newUser, T0, type Engine, type OpenedStore } from '../store/engines.js';
import { manage } from './oidc.js';
import type { RunningApp } from './start-app.js';

/** What src/manage/providers.ts needs on a running app: its store and clock, and its own secret box. */
export function providerContext(app: RunningApp): ProviderContext {
  return { ...manage(app), secretBox: () => openSecretBox(app.config) };
}

export type SealedProviderFields = Partial<Omit<NewIdentityProvider, 'settings' | 'secret'>> &
  Pick<NewIdentityProvider, 'slug' | 'kind' | 'name'> & {
    /** The per-kind settings (stored as JSON). */
    settings: object;
    /** The client secret or service password, sealed under the box with the provider's aad. */
    secret: string;
  };

/** A new provider row whose secret is sealed under `box` as src/manage/providers.ts seals it. */
export function sealedProvider(box: SecretBox, fields: SealedProviderFields): NewIdentityProvider {
  const { settings, secret, ...row } = fields;
  return newProvider(fields.slug, fields.name, { ...row, settings: JSON.stringify(settings), secret: box.seal(secret, providerSecretAad(fields.slug)) });
}

/**
 * A provider row as the store would hold it, for tests of src/federation/* without a store (each `updatedAt` is
 * a row version: the upstream clients and directories are cached per slug and version).
 */
export function providerRecord(box: SecretBox, fields: SealedProviderFields & { updatedAt?: number }): IdentityProviderRecord {
  const { updatedAt = 0, ...row } = fields;
  return { ...sealedProvider(box, row), createdAt: 0, updatedAt };
}

/**
 * What the account and admin pages' tests set up on a running app: providers made as the `idp provider create` tool
 * makes them (slugs p1, p2…), links, and accounts made at a first federated sign-in (no password of their own).
 */
export function linkedIdentityFixtures(app: () => RunningApp) {
  let serial = 0;
  return {
    /** An OpenID Connect provider (unless `input` says otherwise) named "Provider <n>". */
    provider: (input: Partial<ProviderInput> = {}): Promise<IdentityProviderRecord> => {
      serial += 1;
      return createProvider(providerContext(app()), {
        slug: `p${serial}`,
        kind: 'oidc',
        name: `Provider ${serial}`,
        issuer: 'https://issuer.example',
        clientId: 'c',
        clientSecret: 'secret',
        ...input,
      });
    },
    /** Links `user` to provider `slug` as subject `sub-<slug>-<user id>`. */
    link: (user: UserRecord, slug: string, email: string | null) => {
      const running = app();
      return running.store.federatedIdentities.link({ providerSlug: slug, subject: `sub-${slug}-${user.id}`, userId: user.id, email, createdAt: running.clock.now() });
    },
    /** An account made at a first federated sign-in: no password (a hash of a random secret), email verified. */
    federatedUser: async (name: string): Promise<UserRecord> => {
      serial += 1;
      const running = app();
      return running.store.users.create(
        {
          id: randomId(),
          email: `fed${serial}@example.com`,
          name,
          passwordHash: await hashPassword(randomSecret()),
          isAdmin: false,
          disabled: false,
          emailVerified: true,
          hasPassword: false,
        },
        running.clock.now(),
      );
    },
  };
}

/** The "Linked sign-in providers" section of an account or admin user page. */
export function identitiesSection(body: string): string {
  const start = body.indexOf('id="identities-heading"');
  if (start === -1) throw new Error('no linked sign-in providers section on the page');
  return body.slice(start, body.indexOf('</section>', start));
}

/**
 * Before each test of the calling describe block: a fresh store of `engine` holding the accounts `users` (id →
 * email, as newUser makes them) and the `providers`, handed to `use`; destroyed after the test.
 */
export function federationStorePerTest(engine: Engine, seed: { users: Record<string, string>; providers: NewIdentityProvider[] }, use: (opened: OpenedStore) => void): void {
  let opened: OpenedStore | undefined;

  beforeEach(async () => {
    opened = await engine.open();
    use(opened);
    for (const [id, email] of Object.entries(seed.users)) await opened.store.users.create(newUser(id, email), T0);
    for (const provider of seed.providers) await opened.store.identityProviders.create(provider, T0);
  });

  afterEach(async () => {
    await opened?.destroy();
    opened = undefined;
  });
}
