// Who may use an application (src/auth/access-rules.ts, issue 21): everyone, or the members of the groups it
// lists; a rule whose groups are all gone admits nobody (fail closed).
import { describe, expect, it } from 'vitest';
import { groupsRequireMfa, mayUse, restricted } from '../../src/auth/access-rules.js';

const staff = { id: 'g-staff', name: 'staff', requireMfa: false };
const admins = { id: 'g-admins', name: 'admins', requireMfa: true };

describe('access rules (issue 21)', () => {
  it('admits everyone to an unrestricted application, whatever their groups', () => {
    expect(mayUse({ accessPolicy: 'everyone', accessGroups: [] }, [])).toBe(true);
    expect(mayUse({ accessPolicy: 'everyone', accessGroups: ['g-other'] }, [staff])).toBe(true);
    expect(restricted({ accessPolicy: 'everyone' })).toBe(false);
  });

  it('admits a member of any listed group, and nobody else', () => {
    const client = { accessPolicy: 'groups' as const, accessGroups: ['g-staff', 'g-contractors'] };
    expect(restricted(client)).toBe(true);
    expect(mayUse(client, [admins, staff])).toBe(true);
    expect(mayUse(client, [admins])).toBe(false);
    expect(mayUse(client, [])).toBe(false);
  });

  it('admits nobody when the rule lists no group any more (every one deleted)', () => {
    expect(mayUse({ accessPolicy: 'groups', accessGroups: [] }, [staff, admins])).toBe(false);
  });

  it('compares group ids, not names: a group renamed keeps its rule, another of the same name does not inherit it', () => {
    const namesake = { id: 'g-new', name: 'staff', requireMfa: false };
    expect(mayUse({ accessPolicy: 'groups', accessGroups: ['g-staff'] }, [namesake])).toBe(false);
  });

  it('fails closed on a policy it does not know', () => {
    const unknown = { accessPolicy: 'contractors-only', accessGroups: [] } as unknown as Parameters<typeof mayUse>[0];
    expect(mayUse(unknown, [staff])).toBe(false);
    expect(restricted(unknown as Parameters<typeof restricted>[0])).toBe(true);
  });

  it('requires a second factor when any of the person’s groups does', () => {
    expect(groupsRequireMfa([staff])).toBe(false);
    expect(groupsRequireMfa([staff, admins])).toBe(true);
    expect(groupsRequireMfa([])).toBe(false);
  });
});
