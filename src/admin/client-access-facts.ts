// What the client page shows of its access settings (issue 21): who may use it, which groups its tokens carry,
// the account page's login URI and logo, and whom a refused person should ask; its groups by name, each a link
// to the group's page. Also the group names the forms suggest before any script runs.
import type { ClientRecord } from '../store/records.js';
import { groupNamesById } from './client-access-form.js';
import type { AdminDependencies } from './context.js';
import { groupPath, groupsPath } from './group-pages.js';

/** The contact shown when neither the client nor ACCESS_CONTACT names one (the "no access" page says the same). */
export const DEFAULT_ACCESS_CONTACT = 'your administrator';

/**
 * How many group names the forms' <datalist> holds when the page is rendered, so suggestions work without script;
 * public/admin-suggest.js replaces them with matches for what is typed (from any number of groups).
 */
export const GROUP_CHOICES = 100;

export interface GroupLink {
  name: string;
  path: string;
}

export interface ClientAccessFacts {
  policy: ClientRecord['accessPolicy'];
  /** The groups whose members may sign in (policy 'groups'); empty: nobody may. */
  accessGroups: GroupLink[];
  groupsClaim: ClientRecord['groupsClaim'];
  /** The groups a 'listed' groups claim carries besides the access groups. */
  claimGroups: GroupLink[];
  /** What a 'listed' groups claim may carry: the access groups, then the other listed ones. */
  listedGroups: GroupLink[];
  initiateLoginUri: string | null;
  logoUri: string | null;
  /** The client's own contact, or null. */
  accessContact: string | null;
  /** What a refused person is told when the client names nobody: ACCESS_CONTACT or the default. */
  serverContact: string;
}

export async function clientAccessFacts(deps: AdminDependencies, client: ClientRecord): Promise<ClientAccessFacts> {
  const names = await groupNamesById(deps.store, [...client.accessGroups, ...client.claimGroups]);
  // A group deleted since the page was read is simply not shown (its rules went with it).
  const links = (ids: readonly string[]): GroupLink[] =>
    ids.flatMap((id) => {
      const name = names.get(id);
      return name === undefined ? [] : [{ name, path: groupPath(deps, id) }];
    });
  const accessGroups = links(client.accessGroups);
  const claimGroups = links(client.claimGroups);
  return {
    policy: client.accessPolicy,
    accessGroups,
    groupsClaim: client.groupsClaim,
    claimGroups,
    listedGroups: [...accessGroups, ...claimGroups.filter((group) => !accessGroups.some((allowed) => allowed.path === group.path))],
    initiateLoginUri: client.initiateLoginUri,
    logoUri: client.logoUri,
    accessContact: client.accessContact,
    serverContact: deps.config.accessContact ?? DEFAULT_ACCESS_CONTACT,
  };
}

/** The first group names (in name order) for the forms' suggestions, and where the script asks for more. */
export async function groupChoices(deps: AdminDependencies): Promise<{ names: string[]; suggestUrl: string }> {
  const page = await deps.store.groups.list({ limit: GROUP_CHOICES });
  return { names: page.items.map((group) => group.name), suggestUrl: groupsPath(deps, '/suggest') };
}
