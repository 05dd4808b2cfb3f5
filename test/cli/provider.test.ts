// `idp provider …` (issue 23) as child processes, on a store of their own on the engine under test
// (test/helpers/cli-store.ts): providers of each kind created, listed, shown, updated and deleted; what the tool
// writes is read back through the store, the secret opened with the store's own box; every refusal exits 1 with one
// line on stderr and writes nothing; a secret is never printed, audited, or kept in clear.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSecretBox } from '../../src/auth/secret-box.js';
import { LDAP_ATTRIBUTES, OAUTH2_CLAIMS, OIDC_CLAIMS, providerSecretAad } from '../../src/federation/provider-settings.js';
import type { Store } from '../../src/store/store.js';
import { cliRefusals, writtenReaders } from '../helpers/cli-refusals.js';
import { runIdpJson, toolStore, type ToolStore } from '../helpers/cli-store.js';
import { runIdp } from '../helpers/processes.js';
import { tempDir } from '../helpers/temp-dir.js';
import { CA_PEM, LDAP_PASSWORD, OAUTH2_SECRET, OIDC_SECRET } from './provider-fixtures.js';

interface ProviderJson {
  slug: string;
  kind: string;
  name: string;
  buttonLabel: string | null;
  iconUrl: string | null;
  enabled: boolean;
  jit: boolean;
  allowedDomains: string[];
  trustEmail: boolean;
  trustMfa: boolean;
  groupsMode: string;
  settings: Record<string, unknown>;
  hasSecret: boolean;
  linked: number;
  callbackUrl: string | null;
  createdAt: string;
  updatedAt: string;
  warnings?: string[];
  changed?: string[];
}

const ISSUER = 'https://accounts.acme.example';
const BIND_DN = 'cn=gatehouse,ou=services,dc=corp,dc=example';
const USER_BASE = 'ou=people,dc=corp,dc=example';
const FILTER = '(&(objectClass=inetOrgPerson)(mail={email}))';

// Some tests run a dozen `idp` processes (about 2 s each on PostgreSQL on a shared 2-core machine).
describe('idp provider (the command-line tool, run as a child process)', { timeout: 90_000 }, () => {
  let tool: ToolStore;
  let files: { dir: string; remove: () => void };
  const idp = (args: string[]) => runIdp(args, tool.env);
  const withStore = <T>(read: (store: Store) => Promise<T>) => tool.withStore(read);
  const ok = <T = ProviderJson>(args: string[]) => runIdpJson<T>(args, tool.env);
  /** Everything these commands may write: providers, linked identities, the audit log. */
  const { refused } = cliRefusals(() => tool, {
    providers: (store) => store.identityProviders.list(),
    identities: (store) => store.identityProviders.linkCounts().then((counts) => [...counts]),
    audit: writtenReaders.audit,
  });
  const events = (type: string) => withStore(async (store) => (await store.audit.list({ limit: 100, filter: { type } })).reverse());
  const file = (name: string, text: string) => {
    const at = path.join(files.dir, name);
    writeFileSync(at, text, { mode: 0o600 });
    return at;
  };
  /** The stored secret, opened with the store's own box (KEYS_DIR/secrets.key or KEY_ENCRYPTION_KEY). */
  const openedSecret = async (slug: string) => {
    const provider = await withStore((store) => store.identityProviders.findBySlug(slug));
    return (await openSecretBox(tool.config)).open(provider?.secret ?? '', providerSecretAad(slug));
  };
  const oidcArgs = () => [
    'provider',
    'create',
    '--slug',
    'acme',
    '--kind',
    'oidc',
    '--name',
    'Acme Workspace',
    '--issuer',
    ISSUER,
    '--client-id',
    'gatehouse',
    '--client-secret-file',
    file('oidc.secret', `${OIDC_SECRET}\n`),
  ];
  const ldapArgs = () => [
    'provider',
    'create',
    '--slug',
    'corp',
    '--kind',
    'ldap',
    '--name',
    'Corp directory',
    '--url',
    'ldap://127.0.0.1:3389',
    '--bind-dn',
    BIND_DN,
    '--bind-password-file',
    file('bind.secret', LDAP_PASSWORD),
    '--user-base',
    USER_BASE,
    '--user-filter',
    FILTER,
  ];

  beforeEach(async () => {
    tool = await toolStore();
    files = tempDir();
  });
  afterEach(async () => {
    files?.remove();
    await tool?.drop();
  });

  it('creates an OpenID Connect provider: defaults, the secret sealed from its file, the redirect URI to register, audited', async () => {
    const created = await ok([...oidcArgs(), '--scope', 'email', '--jit', '--allowed-domain', 'Acme.example', '--trust-email', '--json']);
    const callback = `${tool.config.issuer}/federation/acme/callback`;
    expect(created).toMatchObject({
      slug: 'acme',
      kind: 'oidc',
      name: 'Acme Workspace',
      buttonLabel: null,
      enabled: true,
      jit: true,
      allowedDomains: ['acme.example'],
      trustEmail: true,
      trustMfa: false,
      groupsMode: 'ignore',
      settings: { issuer: ISSUER, clientId: 'gatehouse', scopes: ['openid', 'email'], claims: OIDC_CLAIMS },
      hasSecret: true,
      linked: 0,
      callbackUrl: callback,
      warnings: [],
    });
    expect(created).not.toHaveProperty('secret');
    // The file's final line break is not part of the secret.
    expect(await openedSecret('acme')).toBe(OIDC_SECRET);
    expect(await events('provider.created')).toEqual([expect.objectContaining({ actor: 'cli', subject: 'acme', details: { provider: 'acme', kind: 'oidc', name: 'Acme Workspace' } })]);

    // Typed on the command line: taken, with a warning on standard output (standard error is for refusals).
    const text = await idp(['provider', 'create', '--slug', 'acme-2', '--kind', 'oidc', '--name', 'Acme 2', '--issuer', ISSUER, '--client-id', 'g2', '--client-secret', 'inline-secret']);
    expect(text.stderr).toBe('');
    expect(text.stdout).toBe(
      [
        'created oidc provider acme-2 (Acme 2)',
        `register this redirect URI at the upstream: ${tool.config.issuer}/federation/acme-2/callback`,
        'warning: the client secret given with --client-secret is visible to other local users in the process list while idp runs, and may stay in your shell history: prefer --client-secret-file',
        '',
      ].join('\n'),
    );
    expect(await openedSecret('acme-2')).toBe('inline-secret');

    // Settings that do less, or more, than they seem to are said aloud.
    const open = await ok(['provider', 'update', 'acme-2', '--jit', '--trust-email', '--json']);
    expect(open.warnings).toEqual([
      '--trust-email links existing accounts only for the allowed domains: with no --allowed-domain it has no effect',
      '--jit with no --allowed-domain: anyone Acme 2 signs in gets an account here',
    ]);
    expect((await ok(['provider', 'update', 'acme-2', '--allowed-domain', 'acme.example', '--json'])).warnings).toEqual([]);
  });

  it('creates an OAuth 2 provider with its claim mapping; shows and lists it without its secret', async () => {
    await ok([
      'provider',
      'create',
      '--slug',
      'github',
      '--kind',
      'oauth2',
      '--name',
      'GitHub',
      '--authorization-url',
      'https://github.example/login/oauth/authorize',
      '--token-url',
      'https://github.example/login/oauth/access_token',
      '--userinfo-url',
      'https://api.github.example/user',
      '--client-id',
      'Iv1.abc',
      '--client-secret-file',
      file('gh.secret', OAUTH2_SECRET),
      '--scope',
      'read:user',
      '--scope',
      'user:email',
      '--claim-name',
      'login',
      '--claim-groups',
      'teams',
      '--attribute',
      'department=company',
      '--groups',
      'merge',
      '--button-label',
      'Sign in with GitHub',
      '--icon-url',
      'https://github.example/icon.svg',
      '--trust-mfa',
      '--disabled',
      '--json',
    ]);
    const shown = await ok(['provider', 'show', 'github', '--json']);
    expect(shown).toMatchObject({
      kind: 'oauth2',
      enabled: false,
      trustMfa: true,
      groupsMode: 'merge',
      buttonLabel: 'Sign in with GitHub',
      iconUrl: 'https://github.example/icon.svg',
      hasSecret: true,
      settings: { scopes: ['read:user', 'user:email'], claims: { ...OAUTH2_CLAIMS, name: 'login', groups: 'teams', attributes: { department: 'company' } } },
    });
    expect(await openedSecret('github')).toBe(OAUTH2_SECRET);
    const text = (await idp(['provider', 'show', 'github'])).stdout;
    expect(text).toContain('\nkind: oauth2\n');
    expect(text).toContain('\nbutton: Sign in with GitHub\n');
    expect(text).toContain('\nclient secret: set (never shown)\n');
    expect(text).toContain('\n  userinfoUrl: https://api.github.example/user\n');
    await ok([...oidcArgs(), '--json']);
    expect((await idp(['provider', 'list'])).stdout).toBe('acme\toidc\tAcme Workspace\tenabled\t0 linked\ngithub\toauth2\tGitHub\tdisabled\t0 linked\n');
    expect((await ok<{ providers: ProviderJson[] }>(['provider', 'list', '--json'])).providers.map((p) => [p.slug, p.hasSecret])).toEqual([
      ['acme', true],
      ['github', true],
    ]);
  });

  it('creates LDAP directories: StartTLS by default, ldaps:// without it, the CA file stored, plain text only with a warning', async () => {
    const created = await ok([
      ...ldapArgs(),
      '--ca-file',
      file('ca.pem', CA_PEM),
      '--group-base',
      'ou=groups,dc=corp,dc=example',
      '--member-of-attribute',
      'memberOf',
      '--password-reset-url',
      'https://password.corp.example',
      '--jit',
      '--json',
    ]);
    expect(created).toMatchObject({
      kind: 'ldap',
      jit: true,
      callbackUrl: null,
      settings: {
        url: 'ldap://127.0.0.1:3389',
        startTls: true,
        ca: `${CA_PEM.trim()}\n`,
        bindDn: BIND_DN,
        userBase: USER_BASE,
        userFilter: FILTER,
        groupBase: 'ou=groups,dc=corp,dc=example',
        attributes: { ...LDAP_ATTRIBUTES, memberOf: 'memberOf' },
        passwordResetUrl: 'https://password.corp.example',
      },
      warnings: [],
    });
    expect(await openedSecret('corp')).toBe(LDAP_PASSWORD);
    expect((await idp(['provider', 'show', 'corp'])).stdout).toContain('\n  ca: 1 certificate(s)\n');

    const secure = await ok([
      'provider',
      'create',
      '--slug',
      'ad',
      '--kind',
      'ldap',
      '--name',
      'AD',
      '--url',
      'ldaps://dc.corp.example',
      '--bind-dn',
      BIND_DN,
      '--bind-password-file',
      file('ad.secret', 'x'),
      '--user-base',
      USER_BASE,
      '--user-filter',
      '(userPrincipalName={email})',
      '--json',
    ]);
    expect(secure.settings).toMatchObject({ url: 'ldaps://dc.corp.example', startTls: false });

    const plain = await idp([
      'provider',
      'create',
      '--slug',
      'plain',
      '--kind',
      'ldap',
      '--name',
      'Plain',
      '--url',
      'ldap://127.0.0.1:389',
      '--bind-dn',
      BIND_DN,
      '--bind-password',
      'typed',
      '--user-base',
      USER_BASE,
      '--user-filter',
      FILTER,
      '--no-starttls',
    ]);
    expect(plain.stderr).toBe('');
    expect(plain.stdout).toContain('\nwarning: the bind password given with --bind-password is visible to other local users');
    expect(plain.stdout).toContain('\nwarning: StartTLS is off on ldap://: the bind password and every password typed at sign-in cross the network in plain text\n');
    expect(plain.stdout).not.toContain('typed\n');
  });

  it('updates settings, flags and lists, clears optional ones, rotates the secret, audits the field names only', async () => {
    await ok([...ldapArgs(), '--json']);
    await ok([...oidcArgs(), '--json']);
    const updated = await ok([
      'provider',
      'update',
      'corp',
      '--name',
      'Corp LDAP',
      '--jit',
      '--allowed-domain',
      'corp.example',
      '--allowed-domain',
      'corp.example.org',
      '--ca-file',
      file('ca.pem', CA_PEM),
      '--bind-password-file',
      file('rotated.secret', 'rotated-bind-password'),
      '--json',
    ]);
    expect(updated.changed).toEqual(['name', 'jit', 'allowedDomains', 'ca', 'bindPassword']);
    expect(updated).toMatchObject({ name: 'Corp LDAP', jit: true, allowedDomains: ['corp.example', 'corp.example.org'], settings: { ca: `${CA_PEM.trim()}\n` } });
    expect(await openedSecret('corp')).toBe('rotated-bind-password');

    const cleared = await ok(['provider', 'update', 'corp', '--no-jit', '--no-allowed-domain', '--no-ca-file', '--disabled', '--url', 'ldaps://dc.corp.example:636', '--json']);
    expect(cleared.changed).toEqual(['enabled', 'jit', 'allowedDomains', 'url', 'startTls', 'ca']);
    expect(cleared).toMatchObject({ enabled: false, jit: false, allowedDomains: [], settings: { url: 'ldaps://dc.corp.example:636', startTls: false, ca: null } });

    const text = await idp(['provider', 'update', 'corp', '--enabled', '--name', 'Corp LDAP']);
    expect(text.stdout).toBe('provider corp: changed enabled\n');
    expect((await idp(['provider', 'update', 'corp', '--enabled'])).stdout).toBe('provider corp: no change\n');

    const oidc = await ok([
      'provider',
      'update',
      'acme',
      '--client-secret-file',
      file('new.secret', 'new-oidc-secret'),
      '--scope',
      'profile',
      '--claim-groups',
      'roles',
      '--trust-mfa',
      '--groups',
      'replace',
      '--json',
    ]);
    expect(oidc.changed).toEqual(['trustMfa', 'groupsMode', 'scopes', 'claims', 'clientSecret']);
    expect(oidc.settings).toMatchObject({ scopes: ['openid', 'profile'], claims: { groups: 'roles' } });
    expect((await ok(['provider', 'update', 'acme', '--no-claim-groups', '--no-trust-mfa', '--json'])).settings).toMatchObject({ claims: { groups: null } });
    expect(await openedSecret('acme')).toBe('new-oidc-secret');

    const updates = await events('provider.updated');
    expect(updates.map((event) => [event.actor, event.subject, event.details.changed])).toEqual([
      ['cli', 'corp', ['name', 'jit', 'allowedDomains', 'ca', 'bindPassword']],
      ['cli', 'corp', ['enabled', 'jit', 'allowedDomains', 'url', 'startTls', 'ca']],
      ['cli', 'corp', ['enabled']],
      ['cli', 'acme', ['trustMfa', 'groupsMode', 'scopes', 'claims', 'clientSecret']],
      ['cli', 'acme', ['trustMfa', 'claims']],
    ]);
  });

  it('deletes a provider without asking, unlinking its accounts and saying how many', async () => {
    await ok([...oidcArgs(), '--json']);
    const ada = await ok<{ id: string }>(['user', 'create', '--email', 'ada@example.com', '--password', 'a long enough password 1', '--json']);
    await withStore((store) => store.federatedIdentities.link({ providerSlug: 'acme', subject: 'sub-ada', userId: ada.id, email: 'ada@acme.example', createdAt: Date.now() }));
    expect((await ok(['provider', 'show', 'acme', '--json'])).linked).toBe(1);
    const deleted = await idp(['provider', 'delete', 'acme']);
    expect(deleted.stdout).toBe('deleted provider acme (Acme Workspace): 1 linked account(s) unlinked\n');
    expect(await withStore((store) => store.identityProviders.findBySlug('acme'))).toBeNull();
    expect(await withStore((store) => store.federatedIdentities.listForUser(ada.id))).toEqual([]);
    expect(await withStore((store) => store.users.findById(ada.id))).not.toBeNull();
    expect(await events('provider.deleted')).toEqual([expect.objectContaining({ actor: 'cli', subject: 'acme', details: { provider: 'acme', linked: 1 } })]);
    await ok([...ldapArgs(), '--json']);
    expect(await ok<{ deleted: boolean; slug: string; linked: number }>(['provider', 'delete', 'corp', '--json'])).toEqual({ deleted: true, slug: 'corp', name: 'Corp directory', linked: 0 });
  });

  it('never prints, audits or keeps a secret in clear', async () => {
    const outputs: string[] = [];
    const run = async (args: string[]) => {
      const result = await idp(args);
      expect(result.code, args.join(' ')).toBe(0);
      outputs.push(result.stdout, result.stderr);
    };
    await run(oidcArgs());
    await run(ldapArgs());
    await run(['provider', 'update', 'acme', '--client-secret-file', file('rotated', 'rotated-oidc-secret')]);
    for (const slug of ['acme', 'corp']) {
      await run(['provider', 'show', slug]);
      await run(['provider', 'show', slug, '--json']);
    }
    await run(['provider', 'list']);
    await run(['provider', 'list', '--json']);
    await run(['audit', 'export']);
    const everything = [...outputs, JSON.stringify(await withStore((store) => store.audit.list({ limit: 100 }))), await tool.contentsAsText()].join('\n');
    for (const secret of [OIDC_SECRET, LDAP_PASSWORD, 'rotated-oidc-secret']) expect(everything).not.toContain(secret);
  });

  describe('refuses bad input with a clear message, a non-zero exit, and writes nothing', () => {
    beforeEach(async () => {
      await ok([...oidcArgs(), '--json']);
    });

    it('a bad slug, a taken slug, an unknown kind', async () => {
      await refused([...oidcArgs().slice(0, 2), '--slug', 'Acme!', ...oidcArgs().slice(4)], /^idp: "Acme!" is not a valid slug: 1 to 40 lower-case letters/);
      await refused(oidcArgs(), 'an identity provider with the slug acme already exists');
      await refused(['provider', 'create', '--slug', 'x', '--kind', 'saml', '--name', 'X'], 'the kind of provider must be oidc, oauth2 or ldap');
    });

    it('an issuer over http on a host that is not loopback', () =>
      refused(
        ['provider', 'create', '--slug', 'x', '--kind', 'oidc', '--name', 'X', '--issuer', 'http://accounts.x.example', '--client-id', 'c', '--client-secret', 's'],
        /^idp: issuer "http:\/\/accounts\.x\.example" uses http on a host that is not loopback/,
      ));

    it('a missing secret, or one given twice, or a secret file that cannot be read', async () => {
      await refused(
        ['provider', 'create', '--slug', 'x', '--kind', 'oidc', '--name', 'X', '--issuer', ISSUER, '--client-id', 'c'],
        'an oidc provider needs the client secret the upstream issued',
      );
      await refused(
        [...ldapArgs().filter((arg, i, all) => arg !== '--bind-password-file' && all[i - 1] !== '--bind-password-file'), '--slug', 'y'],
        /^idp: an ldap directory needs the bind password of its service account\n$/,
      );
      await refused(
        ['provider', 'create', '--slug', 'x', '--kind', 'oidc', '--name', 'X', '--issuer', ISSUER, '--client-id', 'c', '--client-secret', 's', '--client-secret-file', file('s', 's')],
        'give either --client-secret or --client-secret-file, not both',
      );
      await refused(
        ['provider', 'create', '--slug', 'x', '--kind', 'oidc', '--name', 'X', '--issuer', ISSUER, '--client-id', 'c', '--client-secret-file', path.join(files.dir, 'nope')],
        /^idp: cannot read the client secret file .*nope: ENOENT\n$/,
      );
    });

    it('StartTLS on ldaps://, a filter without {email} or unbalanced, a bad CA file', async () => {
      const ldap = (...extra: string[]) => [...ldapArgs().map((arg) => (arg === 'corp' ? 'corp2' : arg)), ...extra];
      await refused(ldap('--url', 'ldaps://dc.corp.example', '--starttls'), /^idp: StartTLS cannot be used with ldaps:\/\/ \(the connection is TLS already\)/);
      await refused(ldap('--user-filter', '(mail=*)'), /^idp: the user filter must contain \{email\}/);
      await refused(ldap('--user-filter', '(&(mail={email})'), /^idp: the user filter must be one filter in balanced parentheses/);
      await refused(ldap('--ca-file', file('bad.pem', 'hello')), 'the CA file holds no PEM certificate (-----BEGIN CERTIFICATE-----)');
      await refused(ldap('--ca-file', file('bad2.pem', '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n')), 'certificate 1 of the CA file cannot be read');
      await refused(ldap('--ca-file', path.join(files.dir, 'missing.pem')), /^idp: cannot read the CA file .*missing\.pem: ENOENT\n$/);
      await refused(ldap('--url', 'https://dc.corp.example'), /^idp: url "https:\/\/dc\.corp\.example" must begin with ldap:\/\//);
    });

    it('a setting of another kind, an update of the kind or of nothing, an unknown provider, --enabled with --disabled', async () => {
      await refused(
        ['provider', 'create', '--slug', 'x', '--kind', 'oidc', '--name', 'X', '--issuer', ISSUER, '--client-id', 'c', '--client-secret', 's', '--url', 'ldap://x'],
        'url is not a setting of an oidc provider',
      );
      await refused(['provider', 'update', 'acme', '--bind-dn', 'cn=x'], 'bindDn is not a setting of an oidc provider');
      await refused(['provider', 'update', 'acme'], /^idp: nothing to change/);
      await refused(['provider', 'update', 'acme', '--enabled', '--disabled'], 'give either --enabled or --disabled, not both');
      await refused(['provider', 'update', 'acme', '--issuer', 'https://x.example/#f'], /must not have a fragment/);
      for (const args of [
        ['provider', 'show', 'nope'],
        ['provider', 'update', 'nope', '--name', 'x'],
        ['provider', 'delete', 'nope'],
      ])
        await refused(args, 'no identity provider "nope"');
    });
  });

  describe('linked identities on the user commands', () => {
    it('idp user show lists them; idp user unlink removes one, audited with the actor cli', async () => {
      await ok([...oidcArgs(), '--json']);
      await ok([...ldapArgs(), '--json']);
      const ada = await ok<{ id: string }>(['user', 'create', '--email', 'ada@example.com', '--password', 'a long enough password 1', '--json']);
      await withStore(async (store) => {
        await store.federatedIdentities.link({ providerSlug: 'acme', subject: 'sub-ada', userId: ada.id, email: 'ada@acme.example', createdAt: Date.parse('2026-01-02T03:04:05Z') });
        await store.federatedIdentities.link({ providerSlug: 'corp', subject: 'uuid-ada', userId: ada.id, email: null, createdAt: Date.parse('2026-01-02T03:04:05Z') });
      });
      const shown = await ok<{ identities: unknown[]; has_password: boolean }>(['user', 'show', 'ada@example.com', '--json']);
      expect(shown.has_password).toBe(true);
      expect(shown.identities).toEqual([
        { provider: 'acme', subject: 'sub-ada', email: 'ada@acme.example', linked_at: '2026-01-02T03:04:05.000Z', last_used_at: null },
        { provider: 'corp', subject: 'uuid-ada', email: null, linked_at: '2026-01-02T03:04:05.000Z', last_used_at: null },
      ]);
      expect((await idp(['user', 'show', 'ada@example.com'])).stdout).toContain('\nlinked identities:\n  acme\tsub-ada\tada@acme.example\tlinked 2026-01-02T03:04:05.000Z\tlast used never\n');

      expect((await idp(['user', 'unlink', 'ada@example.com', '--provider', 'acme'])).stdout).toBe(`unlinked acme identity sub-ada from ${ada.id} <ada@example.com>\n`);
      // An administrator may remove the last one too.
      expect(await ok(['user', 'unlink', ada.id, '--provider', 'corp', '--json'])).toMatchObject({ id: ada.id, unlinked: { provider: 'corp', subject: 'uuid-ada' } });
      expect(await withStore((store) => store.federatedIdentities.listForUser(ada.id))).toEqual([]);
      expect((await events('identity.unlinked')).map((event) => [event.actor, event.subject, event.details])).toEqual([
        ['cli', ada.id, { provider: 'acme' }],
        ['cli', ada.id, { provider: 'corp' }],
      ]);
      expect((await idp(['user', 'show', ada.id])).stdout).toContain('\nlinked identities: (none)');
      await refused(['user', 'unlink', ada.id, '--provider', 'acme'], 'the account is not linked to "acme"');
      await refused(['user', 'unlink', 'nobody@example.com', '--provider', 'acme'], 'no user "nobody@example.com"');
    });
  });
});
