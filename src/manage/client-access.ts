// The issue-21 settings of an application, checked here for src/manage/clients.ts (and so for the `idp` tool and
// the admin screens alike): who may use it (everyone, or the members of some groups), which of a person's
// groups its `groups` claim carries, and what the account page's "Your applications" shows of it (the
// third-party-initiated login URI of OIDC Core §4, a logo) and whom a refused person should ask.
import { ValidationError } from '../errors.js';
import type { AccessPolicy, ClientRecord, GroupsClaimMode } from '../store/records.js';
import type { Store } from '../store/store.js';
import { GROUP_NAME_PATTERN, groupIdsFromNames } from './groups.js';
import { checkClientUri } from './redirect-uris.js';

const MAX_CONTACT_LENGTH = 200;

const GROUPS_CLAIM_RULE = 'the groups claim is all, listed, or prefix:P (P: 1 to 64 letters, digits, dots, underscores or hyphens)';

/** 'all', 'listed' or 'prefix:P' (P in the group-name alphabet, so that it can match a name); ValidationError otherwise. */
export function parseGroupsClaim(text: string): GroupsClaimMode {
  const trimmed = text.trim();
  if (trimmed === 'all') return { kind: 'all' };
  if (trimmed === 'listed') return { kind: 'listed' };
  if (trimmed.startsWith('prefix:')) {
    const prefix = trimmed.slice('prefix:'.length);
    if (GROUP_NAME_PATTERN.test(prefix)) return { kind: 'prefix', prefix };
  }
  throw new ValidationError('groups_claim', `${JSON.stringify(trimmed.slice(0, 80))}: ${GROUPS_CLAIM_RULE}`);
}

/** The text parseGroupsClaim reads (and the store keeps). */
export function formatGroupsClaim(mode: GroupsClaimMode): string {
  return mode.kind === 'prefix' ? `prefix:${mode.prefix}` : mode.kind;
}

/** Empty text clears an optional setting (a form's empty field); absent leaves it. */
function optional(text: string | null | undefined): string | null | undefined {
  if (text === undefined || text === null) return text;
  return text.trim() === '' ? null : text;
}

/**
 * OIDC Core §4: where a third party (here the account page) starts a sign-in at the application. Held to the
 * redirect URI rules (absolute, no fragment, no credentials, https except on loopback), since a person's
 * browser is sent there.
 */
export function checkInitiateLoginUri(uri: string | null | undefined): string | null | undefined {
  const value = optional(uri);
  if (value) checkClientUri(value, 'initiate_login_uri');
  return value;
}

/** A logo the account page loads in the person's browser: https only (an http image is mixed content). */
export function checkLogoUri(uri: string | null | undefined): string | null | undefined {
  const value = optional(uri);
  if (!value) return value;
  checkClientUri(value, 'logo_uri');
  if (!value.startsWith('https:')) throw new ValidationError('logo_uri', `logo_uri ${JSON.stringify(value)} must use https`);
  return value;
}

/** Free text shown on the "no access" page: whom to ask. */
export function checkAccessContact(text: string | null | undefined): string | null | undefined {
  const value = optional(text);
  if (!value) return value;
  const trimmed = value.trim();
  if (trimmed.length > MAX_CONTACT_LENGTH) throw new ValidationError('access_contact', `the access contact must be at most ${MAX_CONTACT_LENGTH} characters long`);
  if (/[\u0000-\u001f\u007f]/.test(trimmed)) throw new ValidationError('access_contact', 'the access contact must not contain control characters');
  return trimmed;
}

/** The access fields of ClientSettings (src/manage/clients.ts), as given: group names or ids. */
export interface AccessSettings {
  accessPolicy?: AccessPolicy;
  accessGroups?: string[];
  groupsClaim?: string;
  claimGroups?: string[];
  initiateLoginUri?: string | null;
  logoUri?: string | null;
  accessContact?: string | null;
}

/** What the settings make of the client's access fields; absent fields keep `current` (a new client's defaults). */
export type AccessFields = Pick<ClientRecord, 'accessPolicy' | 'accessGroups' | 'groupsClaim' | 'claimGroups' | 'initiateLoginUri' | 'logoUri' | 'accessContact'>;

export const DEFAULT_ACCESS: AccessFields = {
  accessPolicy: 'everyone',
  accessGroups: [],
  groupsClaim: { kind: 'all' },
  claimGroups: [],
  initiateLoginUri: null,
  logoUri: null,
  accessContact: null,
};

const given = (names: readonly string[] | undefined) => names?.filter((name) => name.trim() !== '');

/** The access fields from settings whose group lists are already ids (or, for accessFieldsAsGiven, as typed). */
function planAccess(input: AccessSettings, current: AccessFields, accessGroups: string[] | undefined, claimGroups: string[] | undefined): AccessFields {
  // Typed, but a form or a script may still send anything.
  const policy = input.accessPolicy as string | undefined;
  if (policy !== undefined && policy !== 'everyone' && policy !== 'groups') throw new ValidationError('access_policy', 'the access policy must be everyone or groups');
  if (input.accessPolicy === 'everyone' && accessGroups !== undefined && accessGroups.length > 0) {
    throw new ValidationError('access_groups', 'an application open to everyone lists no access groups: restrict it to the groups, or leave them out');
  }
  const initiateLoginUri = checkInitiateLoginUri(input.initiateLoginUri);
  const logoUri = checkLogoUri(input.logoUri);
  const accessContact = checkAccessContact(input.accessContact);
  // Groups without a policy restrict the application (`--allowed-group`); an empty list leaves the policy as it is.
  const accessPolicy: AccessPolicy = input.accessPolicy ?? (accessGroups !== undefined && accessGroups.length > 0 ? 'groups' : current.accessPolicy);
  return {
    accessPolicy,
    // 'groups' with none left admits nobody (fail closed, src/auth/access-rules.ts): allowed, as after a deletion.
    accessGroups: accessPolicy === 'everyone' ? [] : (accessGroups ?? current.accessGroups),
    groupsClaim: input.groupsClaim === undefined ? current.groupsClaim : parseGroupsClaim(input.groupsClaim),
    claimGroups: claimGroups ?? current.claimGroups,
    initiateLoginUri: initiateLoginUri === undefined ? current.initiateLoginUri : initiateLoginUri,
    logoUri: logoUri === undefined ? current.logoUri : logoUri,
    accessContact: accessContact === undefined ? current.accessContact : accessContact,
  };
}

/**
 * The access fields the settings give a client whose fields are `current` (a new client: DEFAULT_ACCESS); absent
 * settings keep theirs. Every rule needing no store is checked first (a ValidationError), then the group names
 * (or ids) are resolved to ids (a NotFoundError naming the first unknown one): nothing is read or written for
 * settings that break a rule.
 */
export async function accessFields(store: Store, input: AccessSettings, current: AccessFields): Promise<AccessFields> {
  const access = given(input.accessGroups);
  const claim = given(input.claimGroups);
  planAccess(input, current, access, claim);
  return planAccess(input, current, access && (await groupIdsFromNames(store, access)), claim && (await groupIdsFromNames(store, claim)));
}

/**
 * accessFields without the store: group lists are taken as ids, so a list of names counts as a change unless the
 * caller resolved them first (resolveGroupLists). Errs towards "changed", which asks for more, never less.
 */
export function accessFieldsAsGiven(input: AccessSettings, current: AccessFields): AccessFields {
  return planAccess(input, current, given(input.accessGroups), given(input.claimGroups));
}

/** The settings with their group lists resolved to ids (a NotFoundError naming the first unknown group). */
export async function resolveGroupLists<T extends AccessSettings>(store: Store, input: T): Promise<T> {
  const access = given(input.accessGroups);
  const claim = given(input.claimGroups);
  return {
    ...input,
    ...(access === undefined ? {} : { accessGroups: await groupIdsFromNames(store, access) }),
    ...(claim === undefined ? {} : { claimGroups: await groupIdsFromNames(store, claim) }),
  };
}

const sameSet = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((value) => b.includes(value));

/** The registration names (as client.updated audits them) of the access fields `next` changes in `client`. */
export function accessChanges(client: AccessFields, next: AccessFields): { patch: Partial<AccessFields>; changed: string[] } {
  const patch: Partial<AccessFields> = {};
  const changed: string[] = [];
  if (next.accessPolicy !== client.accessPolicy) {
    patch.accessPolicy = next.accessPolicy;
    changed.push('access_policy');
  }
  if (!sameSet(next.accessGroups, client.accessGroups)) {
    patch.accessGroups = next.accessGroups;
    changed.push('access_groups');
  }
  if (formatGroupsClaim(next.groupsClaim) !== formatGroupsClaim(client.groupsClaim)) {
    patch.groupsClaim = next.groupsClaim;
    changed.push('groups_claim');
  }
  if (!sameSet(next.claimGroups, client.claimGroups)) {
    patch.claimGroups = next.claimGroups;
    changed.push('claim_groups');
  }
  for (const [field, name] of [
    ['initiateLoginUri', 'initiate_login_uri'],
    ['logoUri', 'logo_uri'],
    ['accessContact', 'access_contact'],
  ] as const) {
    if (next[field] !== client[field]) {
      patch[field] = next[field];
      changed.push(name);
    }
  }
  return { patch, changed };
}
