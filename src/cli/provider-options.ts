// The flags of `idp provider create|update` (issue 23, src/cli/provider.ts) as the fields of ProviderInput
// (src/manage/provider-input.ts): absent flags stay absent, so that an update changes only what it names; a --no-…
// flag clears (null, [] or {}). Secrets and the CA are read from their files here; a secret typed on the command line
// is taken, with a warning.
import { readFile } from 'node:fs/promises';
import { ValidationError } from '../errors.js';
import type { ProviderChanges } from '../manage/provider-input.js';
import type { ProviderGroupsMode } from '../store/records.js';
import type { OutputOptions } from './run.js';

/** The options commander gives the create and update commands (provider.ts settingOptions declares them). */
export interface ProviderOptions extends OutputOptions {
  name?: string;
  buttonLabel?: string | false;
  iconUrl?: string | false;
  enabled?: boolean;
  disabled?: boolean;
  jit?: boolean;
  trustEmail?: boolean;
  trustMfa?: boolean;
  groups?: string;
  allowedDomain?: string[] | false;
  issuer?: string;
  clientId?: string;
  clientSecret?: string;
  clientSecretFile?: string;
  scope?: string[];
  authorizationUrl?: string;
  tokenUrl?: string;
  userinfoUrl?: string;
  claimSubject?: string;
  claimEmail?: string;
  claimEmailVerified?: string | false;
  claimName?: string | false;
  claimGroups?: string | false;
  attribute?: string[] | false;
  url?: string;
  bindDn?: string;
  bindPassword?: string;
  bindPasswordFile?: string;
  userBase?: string;
  userFilter?: string;
  starttls?: boolean;
  caFile?: string | false;
  groupBase?: string | false;
  emailAttribute?: string;
  nameAttribute?: string | false;
  memberOfAttribute?: string | false;
  passwordResetUrl?: string | false;
}

/** The parts of a setting that flags gave (absent flags left out); undefined when no flag gave any. */
function givenParts<T extends object>(parts: T): Partial<T> | undefined {
  const given = Object.fromEntries(Object.entries(parts).filter(([, value]) => value !== undefined)) as Partial<T>;
  return Object.keys(given).length > 0 ? given : undefined;
}

/** A value given with --foo, cleared with --no-foo (false → null), absent → undefined. */
const clearable = (value: string | false | undefined): string | null | undefined => (value === false ? null : value);

async function readText(field: string, file: string, what: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new ValidationError(field, `cannot read the ${what} file ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

/** One secret from its inline flag or its file (without the file's final line break), with a warning for the former. */
async function secretFrom(inline: string | undefined, file: string | undefined, flag: string, warnings: string[]): Promise<string | undefined> {
  if (inline !== undefined && file !== undefined) throw new ValidationError(flag, `give either --${flag} or --${flag}-file, not both`);
  if (file !== undefined) return (await readText(flag, file, flag.replace(/-/g, ' '))).replace(/\r?\n$/, '');
  if (inline !== undefined)
    warnings.push(
      `the ${flag.replace(/-/g, ' ')} given with --${flag} is visible to other local users in the process list while idp runs, and may stay in your shell history: prefer --${flag}-file`,
    );
  return inline;
}

function parseAttributes(values: string[]): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const value of values) {
    const at = value.indexOf('=');
    if (at <= 0) throw new ValidationError('attribute', `--attribute ${JSON.stringify(value)} must be NAME=PATH, such as department=org.department`);
    attributes[value.slice(0, at)] = value.slice(at + 1);
  }
  return attributes;
}

/** What the flags give, as ProviderInput fields; absent flags stay absent. */
export async function providerChanges(options: ProviderOptions, warnings: string[]): Promise<ProviderChanges> {
  if (options.enabled && options.disabled) throw new ValidationError('enabled', 'give either --enabled or --disabled, not both');
  const changes: ProviderChanges = {};
  const set = <K extends keyof ProviderChanges>(key: K, value: ProviderChanges[K] | undefined) => {
    if (value !== undefined) changes[key] = value;
  };
  set('name', options.name);
  set('buttonLabel', clearable(options.buttonLabel));
  set('iconUrl', clearable(options.iconUrl));
  set('enabled', options.disabled ? false : options.enabled ? true : undefined);
  set('jit', options.jit);
  set('trustEmail', options.trustEmail);
  set('trustMfa', options.trustMfa);
  // The manage layer checks the word: a script may send anything.
  set('groupsMode', options.groups as ProviderGroupsMode | undefined);
  set('allowedDomains', options.allowedDomain === false ? [] : options.allowedDomain);
  set('issuer', options.issuer);
  set('clientId', options.clientId);
  set('clientSecret', await secretFrom(options.clientSecret, options.clientSecretFile, 'client-secret', warnings));
  set('scopes', options.scope);
  set('authorizationUrl', options.authorizationUrl);
  set('tokenUrl', options.tokenUrl);
  set('userinfoUrl', options.userinfoUrl);
  const claims = {
    subject: options.claimSubject,
    email: options.claimEmail,
    emailVerified: clearable(options.claimEmailVerified),
    name: clearable(options.claimName),
    groups: clearable(options.claimGroups),
    attributes: options.attribute === false ? {} : options.attribute === undefined ? undefined : parseAttributes(options.attribute),
  };
  set('claims', givenParts(claims));
  set('url', options.url);
  set('bindDn', options.bindDn);
  set('bindPassword', await secretFrom(options.bindPassword, options.bindPasswordFile, 'bind-password', warnings));
  set('userBase', options.userBase);
  set('userFilter', options.userFilter);
  set('startTls', options.starttls);
  if (options.caFile !== undefined) changes.ca = options.caFile === false ? null : await readText('ca', options.caFile, 'CA');
  set('groupBase', clearable(options.groupBase));
  const attributes = { email: options.emailAttribute, name: clearable(options.nameAttribute), memberOf: clearable(options.memberOfAttribute) };
  set('attributes', givenParts(attributes));
  set('passwordResetUrl', clearable(options.passwordResetUrl));
  return changes;
}
