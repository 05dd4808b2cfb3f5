// The access part of the client forms (issue 21): who may use the application, which groups its tokens carry,
// and what the account page shows of it. Kept as typed for redisplay, like the rest of the form (client-forms.ts),
// and turned into the AccessSettings of the shared rules (src/manage/client-access.ts) when posted. Groups are
// typed by name; each name is looked up here, so that an unknown one is refused at the field that holds it (the
// list, or the "add a group" box) with the form shown again, before anything is written.
import { NotFoundError, ValidationError } from '../errors.js';
import type { AccessSettings } from '../manage/client-access.js';
import { findGroup } from '../manage/groups.js';
import type { ClientRecord } from '../store/records.js';
import type { Store } from '../store/store.js';
import { sent, shown, type FormBody } from './client-form-text.js';

export interface ClientAccessForm {
  /** 'everyone' or 'groups' once valid. */
  accessPolicy: string;
  /** Group names, one a line (commas also separate). */
  accessGroups: string;
  /** One more group name, from the box with suggestions. */
  accessGroupAdd: string;
  /** 'all', 'listed' or 'prefix' once valid. */
  groupsClaim: string;
  groupsClaimPrefix: string;
  claimGroups: string;
  claimGroupAdd: string;
  initiateLoginUri: string;
  logoUri: string;
  accessContact: string;
}

/** Form field name → the ValidationError field its mistakes are reported under (src/manage/client-access.ts). */
export const ACCESS_ERROR_FIELDS: Readonly<Record<string, string>> = {
  access_policy: 'access_policy',
  access_groups: 'access_groups',
  access_group_add: 'access_group_add',
  groups_claim: 'groups_claim',
  groups_claim_prefix: 'groups_claim',
  claim_groups: 'claim_groups',
  claim_group_add: 'claim_group_add',
  initiate_login_uri: 'initiate_login_uri',
  logo_uri: 'logo_uri',
  access_contact: 'access_contact',
};

export const EMPTY_ACCESS_FORM: ClientAccessForm = {
  accessPolicy: 'everyone',
  accessGroups: '',
  accessGroupAdd: '',
  groupsClaim: 'all',
  groupsClaimPrefix: '',
  claimGroups: '',
  claimGroupAdd: '',
  initiateLoginUri: '',
  logoUri: '',
  accessContact: '',
};

/** What was posted, for redisplay; a field the form did not have shows `fallback`'s (the client's own). */
export function readAccessForm(form: FormBody, fallback: ClientAccessForm = EMPTY_ACCESS_FORM): ClientAccessForm {
  const field = (name: string, key: keyof ClientAccessForm) => (sent(form, name) ? shown(form, name) : fallback[key]);
  return {
    accessPolicy: field('access_policy', 'accessPolicy'),
    accessGroups: field('access_groups', 'accessGroups'),
    accessGroupAdd: field('access_group_add', 'accessGroupAdd'),
    groupsClaim: field('groups_claim', 'groupsClaim'),
    groupsClaimPrefix: field('groups_claim_prefix', 'groupsClaimPrefix'),
    claimGroups: field('claim_groups', 'claimGroups'),
    claimGroupAdd: field('claim_group_add', 'claimGroupAdd'),
    initiateLoginUri: field('initiate_login_uri', 'initiateLoginUri'),
    logoUri: field('logo_uri', 'logoUri'),
    accessContact: field('access_contact', 'accessContact'),
  };
}

/** A registered client's access settings in the edit form; `names` gives each group id its name. */
export function accessFormOf(client: ClientRecord, names: ReadonlyMap<string, string>): ClientAccessForm {
  const named = (ids: readonly string[]) => ids.map((id) => names.get(id) ?? id).join('\n');
  return {
    accessPolicy: client.accessPolicy,
    accessGroups: named(client.accessGroups),
    accessGroupAdd: '',
    groupsClaim: client.groupsClaim.kind,
    groupsClaimPrefix: client.groupsClaim.kind === 'prefix' ? client.groupsClaim.prefix : '',
    claimGroups: named(client.claimGroups),
    claimGroupAdd: '',
    initiateLoginUri: client.initiateLoginUri ?? '',
    logoUri: client.logoUri ?? '',
    accessContact: client.accessContact ?? '',
  };
}

/**
 * Group names as typed: one a line or separated by commas (neither can be part of a name), surrounding spaces
 * dropped. A name with other characters is kept whole, so that its refusal quotes what was typed.
 */
export function groupNames(text: string): string[] {
  return text
    .split(/[\r\n,]+/)
    .map((name) => name.trim())
    .filter((name) => name !== '');
}

/** A group list as typed, each name with the form field it came from. */
export interface TypedGroups {
  names: { name: string; field: string }[];
}

function typedGroups(form: FormBody, listField: string, addField: string): TypedGroups | undefined {
  if (!sent(form, listField) && !sent(form, addField)) return undefined;
  return {
    names: [...groupNames(shown(form, listField)).map((name) => ({ name, field: listField })), ...groupNames(shown(form, addField)).map((name) => ({ name, field: addField }))],
  };
}

/** Optional text: absent from the form leaves the setting, empty clears it (the shared rules read '' as none). */
function optionalText(form: FormBody, name: string, trim: boolean): string | undefined {
  if (!sent(form, name)) return undefined;
  const text = shown(form, name);
  return trim ? text.trim() : text;
}

/** The access settings as typed, with the group lists still as names and where each was typed. */
export interface TypedAccess {
  settings: Omit<AccessSettings, 'accessGroups' | 'claimGroups'>;
  accessGroups: TypedGroups | undefined;
  claimGroups: TypedGroups | undefined;
}

export function typedAccess(form: FormBody): TypedAccess {
  const policy = sent(form, 'access_policy') ? shown(form, 'access_policy') : undefined;
  const mode = sent(form, 'groups_claim') ? shown(form, 'groups_claim') : undefined;
  return {
    settings: {
      // Checked by the shared rules, which refuse anything but everyone and groups.
      accessPolicy: policy as AccessSettings['accessPolicy'],
      groupsClaim: mode === 'prefix' ? `prefix:${shown(form, 'groups_claim_prefix').trim()}` : mode,
      initiateLoginUri: optionalText(form, 'initiate_login_uri', true),
      logoUri: optionalText(form, 'logo_uri', true),
      accessContact: optionalText(form, 'access_contact', false),
    },
    // "Everyone" leaves the list aside (the radio button says who may sign in; the shared rules keep no access
    // groups for an application open to everyone), so switching to it needs no emptying of the box first.
    accessGroups: policy === 'everyone' ? undefined : typedGroups(form, 'access_groups', 'access_group_add'),
    claimGroups: typedGroups(form, 'claim_groups', 'claim_group_add'),
  };
}

/** The group ids of a typed list; an unknown name is a ValidationError at the field where it was typed. */
async function groupIds(store: Store, typed: TypedGroups | undefined): Promise<string[] | undefined> {
  if (typed === undefined) return undefined;
  const ids: string[] = [];
  for (const { name, field } of typed.names) {
    try {
      const group = await findGroup(store, name);
      if (!ids.includes(group.id)) ids.push(group.id);
    } catch (error) {
      if (error instanceof NotFoundError) throw new ValidationError(field, `${error.message}: check the name, or create the group first`);
      throw error;
    }
  }
  return ids;
}

/** The access settings with their group lists as ids, ready for createClient and updateClient. */
export async function accessSettings(store: Store, typed: TypedAccess): Promise<AccessSettings> {
  const accessGroups = await groupIds(store, typed.accessGroups);
  const claimGroups = await groupIds(store, typed.claimGroups);
  return {
    ...typed.settings,
    ...(accessGroups === undefined ? {} : { accessGroups }),
    ...(claimGroups === undefined ? {} : { claimGroups }),
  };
}

/** Group ids → names, for the edit form and the client page (a group deleted meanwhile is left out). */
export async function groupNamesById(store: Store, ids: readonly string[]): Promise<Map<string, string>> {
  const groups = await Promise.all([...new Set(ids)].map((id) => store.groups.findById(id)));
  return new Map(groups.flatMap((group) => (group ? [[group.id, group.name] as const] : [])));
}
