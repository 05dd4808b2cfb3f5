// Who may use an application (issue 21): everyone, or the members of the groups it lists. Decided from the
// person's groups as the store has them now, at every sign-in, every single sign-on answer, every code exchange and
// every refresh, so that taking a person out of a group (or a group out of the rule) stops them at the next one.
// Fails closed: a rule whose groups were all deleted admits nobody.
import type { ClientRecord, MemberGroup } from '../store/records.js';

/** Whether the person with these groups may sign in to the client. */
export function mayUse(client: Pick<ClientRecord, 'accessPolicy' | 'accessGroups'>, groups: readonly Pick<MemberGroup, 'id'>[]): boolean {
  if (client.accessPolicy === 'everyone') return true;
  // Any other policy (a row from a newer version, say) admits only members of the listed groups.
  const allowed = new Set(client.accessGroups);
  return groups.some((group) => allowed.has(group.id));
}

/** Whether the client's access rule reads the person's groups at all (an unrestricted client needs no query). */
export function restricted(client: Pick<ClientRecord, 'accessPolicy'>): boolean {
  return client.accessPolicy !== 'everyone';
}

/** Whether one of the person's groups demands a second factor everywhere. */
export function groupsRequireMfa(groups: readonly Pick<MemberGroup, 'requireMfa'>[]): boolean {
  return groups.some((group) => group.requireMfa);
}
