// The seeded groups of the admin users benchmark (issue 21): 1,000 groups over the seeded users, deterministic (one
// seed, one generator, as the users), with the shape of a real directory:
//
//  - one group everyone is in (`all-staff`, as an organisation's "all employees" group);
//  - the other 999 with Zipf-like sizes: the group of rank r (1..999, in no relation to its name) is drawn with weight
//    1 / (r + 10)^1.4, so a few hold a quarter to an eighth of everyone (departments, a company-wide application),
//    most hold tens to hundreds (teams, projects), the last ones a few dozen (at 100,000 users: about 24,000 in the
//    largest, a median of about 130, about 40 in the smallest; at 10,000 users a tenth of each, some none);
//  - each person in 5 to 10 groups (everyone group included; 90 %), a newcomer or an outsider in 1 to 4 (9 %), and
//    the people who run things in 50 (1 %, and the planted Featherstonehaugh five): on average about 7.5 groups, so
//    about 750,000 memberships at 100,000 users. A person's groups beyond `all-staff` are distinct draws by weight.
//
// Names are what an administrator types (`team-falcon`, `app-wiki`, a few in capitals such as `EMEA-Sales`): unique
// case-insensitively, in an order unrelated to their size. Also the scenarios' groups and what each page must show,
// worked out here from the same rows: the benchmark checks every page it times against these.
import { RARE_LAST_NAME, generator, type SeedUser } from './population.js';

export interface SeedGroup {
  id: string;
  name: string;
  description: string;
  requireMfa: boolean;
  createdAt: number;
  /** Indices into the seeded users, ascending. */
  members: number[];
}

export interface GroupPopulation {
  groups: SeedGroup[];
  /** Per user (by index): how many groups they are in. */
  groupsPerUser: Uint8Array;
  /** The group everyone is in. */
  everyone: SeedGroup;
  /** Sum of every group's members. */
  memberships: number;
}

export const GROUP_COUNT = 1000;
export const EVERYONE_GROUP = 'all-staff';
/** The most groups a person is in: the planted people and the busiest 1 %. */
export const MOST_GROUPS = 50;

const ZIPF_EXPONENT = 1.4;
const ZIPF_OFFSET = 10;

const KINDS: [string, number][] = [
  ['team', 40],
  ['app', 20],
  ['proj', 15],
  ['role', 10],
  ['site', 6],
  ['list', 5],
  ['dept', 4],
];

// Words of team, application and project names, one string: a list one word a line would be most of this file.
const WORDS = (
  'falcon harbor atlas nimbus quartz orchid summit juniper cobalt meridian wiki payroll billing crm ' +
  'helpdesk analytics platform mobile web data ml infra sre security compliance legal finance sales ' +
  'marketing design research support ops hiring onboarding admins editors reviewers approvers readers ' +
  'owners oncall release qa docs intranet vpn git ci grafana kibana jira chat mail print badge london ' +
  'berlin paris lagos tokyo austin toronto sydney pune warsaw emea apac amer interns contractors alumni ' +
  'board exec managers leads mentors guild council garden music running chess'
).split(' ');

/** A few names an administrator wrote in capitals: shown as entered, sorted and searched ignoring case. */
const CAPITALISED = ['IT-Ops', 'EMEA-Sales', 'HR', 'QA-Leads', 'SRE-Oncall', 'R.and.D', 'APAC_Support', 'Board'];

/** Cumulative weights 1 / (rank + offset)^exponent for ranks 0..count-1, and a draw by binary search. */
function zipf(count: number, random: () => number): { draw(): number } {
  const cumulative: number[] = [];
  let total = 0;
  for (let rank = 0; rank < count; rank++) cumulative.push((total += 1 / (rank + 1 + ZIPF_OFFSET) ** ZIPF_EXPONENT));
  return {
    draw() {
      const x = random() * total;
      let lo = 0;
      let hi = count - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if ((cumulative[mid] ?? 0) < x) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    },
  };
}

function base64url(random: () => number, bytes: number): string {
  const buffer = Buffer.alloc(bytes);
  for (let i = 0; i < bytes; i++) buffer[i] = Math.floor(random() * 256);
  return buffer.toString('base64url');
}

function groupNames(count: number, random: () => number): string[] {
  const names = [EVERYONE_GROUP, ...CAPITALISED];
  const taken = new Set(names.map((n) => n.toLowerCase()));
  const kindTotal = KINDS.reduce((sum, [, w]) => sum + w, 0);
  while (names.length < count) {
    let x = random() * kindTotal;
    const kind = KINDS.find(([, w]) => (x -= w) < 0)?.[0] ?? 'team';
    const word = WORDS[Math.floor(random() * WORDS.length)] ?? 'misc';
    const second = random() < 0.5 ? `-${WORDS[Math.floor(random() * WORDS.length)] ?? 'misc'}` : '';
    const base = `${kind}-${word}${second}`;
    let name = base;
    for (let n = 2; taken.has(name.toLowerCase()); n++) name = `${base}-${n}`;
    taken.add(name.toLowerCase());
    names.push(name);
  }
  return names;
}

/** How many groups a person is in, the everyone group included. */
function groupCount(random: () => number, planted: boolean): number {
  if (planted) return MOST_GROUPS;
  const x = random();
  if (x < 0.01) return MOST_GROUPS;
  if (x < 0.1) return 1 + Math.floor(random() * 4);
  return 5 + Math.floor(random() * 6);
}

/** The groups of `users`, the same ones for the same users and seed. */
export function groupPopulation(users: readonly SeedUser[], count = GROUP_COUNT, seed = 20_260_121): GroupPopulation {
  if (count < MOST_GROUPS) throw new Error(`at least ${MOST_GROUPS} groups are needed (people are in up to ${MOST_GROUPS})`);
  const random = generator(seed);
  const names = groupNames(count, random);
  const now = Date.UTC(2026, 0, 1);
  const threeYears = 3 * 365 * 24 * 3600 * 1000;
  const groups: SeedGroup[] = names.map((name, index) => ({
    id: base64url(random, 12),
    name,
    description: index === 0 ? 'Everyone with an account' : random() < 0.7 ? `The ${name.replace(/[-_.]/g, ' ')} group` : '',
    requireMfa: index !== 0 && (name.startsWith('role-') || random() < 0.02),
    createdAt: now - Math.floor(random() * threeYears),
    members: [],
  }));
  // Sizes by rank, not by name: rank r is a random group among the 999 (the order of names says nothing of size).
  const ranked = groups.slice(1);
  for (let i = ranked.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [ranked[i], ranked[j]] = [ranked[j] as SeedGroup, ranked[i] as SeedGroup];
  }
  const picker = zipf(ranked.length, random);
  const everyone = groups[0] as SeedGroup;
  const groupsPerUser = new Uint8Array(users.length);
  let memberships = 0;
  const chosen = new Set<number>();
  users.forEach((user, index) => {
    const total = groupCount(random, user.name.endsWith(` ${RARE_LAST_NAME}`));
    everyone.members.push(index);
    chosen.clear();
    while (chosen.size < total - 1) chosen.add(picker.draw());
    for (const rank of chosen) (ranked[rank] as SeedGroup).members.push(index);
    groupsPerUser[index] = total;
    memberships += total;
  });
  return { groups, groupsPerUser, everyone, memberships };
}

/** A group's name as the store sorts and searches it (src/store/rows/groups.ts nameKey: lower-cased). */
export function nameKeyOf(name: string): string {
  return name.toLowerCase();
}

const binary = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Ids of a group's members (or those a member search finds), in the list's order: by normalised email, bytewise. */
export function memberOrder(users: readonly SeedUser[], group: SeedGroup, q?: string): string[] {
  const term = q?.trim().toLowerCase() ?? '';
  const members = group.members.map((index) => users[index] as SeedUser);
  const found = term === '' ? members : members.filter((u) => u.emailNormalized.includes(term) || u.name.toLowerCase().includes(term));
  return found.sort((a, b) => binary(a.emailNormalized, b.emailNormalized)).map((u) => u.id);
}

/** The groups list (or a search of it) in its order: name_key, then id. */
export function groupOrder(groups: readonly SeedGroup[], q?: string): SeedGroup[] {
  const term = q?.trim().toLowerCase() ?? '';
  const found = term === '' ? [...groups] : groups.filter((g) => nameKeyOf(g.name).includes(term));
  return found.sort((a, b) => binary(nameKeyOf(a.name), nameKeyOf(b.name)) || binary(a.id, b.id));
}

/** The group whose size is nearest `size` (the first such in id order, so the same every run), not the everyone group. */
export function groupNear(population: GroupPopulation, size: number): SeedGroup {
  let best: SeedGroup | undefined;
  for (const group of population.groups) {
    if (group === population.everyone) continue;
    const distance = Math.abs(group.members.length - size);
    const bestDistance = best ? Math.abs(best.members.length - size) : Infinity;
    if (distance < bestDistance || (distance === bestDistance && best && group.id < best.id)) best = group;
  }
  if (!best) throw new Error('no group to choose from');
  return best;
}

/** The largest group after the everyone group. */
export function largestGroup(population: GroupPopulation): SeedGroup {
  return population.groups.filter((g) => g !== population.everyone).reduce((a, b) => (b.members.length > a.members.length ? b : a));
}
