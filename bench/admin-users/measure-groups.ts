// The groups scenarios (issue 21), timed as the users list's (./measure.ts): one request at a time on one keep-alive
// connection, from the request's start to the body's last byte, each next page the href of the page's own "Next
// page" link. Every timed page is checked exactly: the ids its table links to (/admin/users/<id> for a member list,
// /admin/groups/<id> for the groups list) are the seeded ones of that page, in order (members by email, groups by
// name), and the groups list shows each group's member count; a Next link exactly when more follow.
import type { Browser, Page } from '../../test/helpers/browser.js';
import { groupNear, groupOrder, largestGroup, memberOrder, type GroupPopulation, type SeedGroup } from './groups.js';
import { decodeHtml, nextLink, PAGE_SIZE, timedGet, type Plan, type ScenarioResult } from './measure.js';
import type { SeedUser } from './population.js';

/** 'first': GETs of the first page; 'walk': the first page untimed, then `pages` pages via Next; 'rounds': `rounds` times up to `pages` pages from the first. */
export type Timing = { kind: 'first'; samples: number } | { kind: 'walk'; pages: number } | { kind: 'rounds'; rounds: number; pages: number };

export interface ListScenario {
  id: string;
  label: string;
  q?: string;
  /** The first page. */
  url: string;
  /** What the list must show, in order: user ids (a member list) or group ids (the groups list). */
  order: string[];
  links: 'users' | 'groups';
  /** The groups list: each group's member count. */
  counts?: ReadonlyMap<string, number>;
  timing: Timing;
}

/** The groups the scenarios use, for the report. */
export interface ChosenGroups {
  large: SeedGroup;
  medium: SeedGroup;
  small: SeedGroup;
  filter: SeedGroup;
}

/** A member search that is dense (a frequent first name) and one that is sparse (a last name, in a smaller group). */
export const MEMBER_SEARCHES = { large: 'James', medium: 'smith' } as const;
/** A group-name search: the `team-` groups, about two in five. */
export const GROUP_SEARCH = 'Team-';

/** A group page that lists a fiftieth of everyone: large enough to page, too sparse to fill a page from a window of users. */
export const MEDIUM_SHARE = 1 / 50;
/** A group of a few people: one page. */
export const SMALL_SIZE = 20;

export function chooseGroups(population: GroupPopulation, users: number): ChosenGroups {
  return {
    large: population.everyone,
    medium: groupNear(population, Math.round(users * MEDIUM_SHARE)),
    small: groupNear(population, SMALL_SIZE),
    filter: largestGroup(population),
  };
}

/** Every scenario, in the report's order. */
export function groupScenarios(issuer: string, users: readonly SeedUser[], population: GroupPopulation, chosen: ChosenGroups, plan: Plan): ListScenario[] {
  const admin = (path: string, params: Record<string, string> = {}) => {
    const url = new URL(`/admin${path}`, issuer);
    for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
    return url.toString();
  };
  const groupPage = (group: SeedGroup, q?: string) => admin(`/groups/${encodeURIComponent(group.id)}`, q === undefined ? {} : { q });
  const first: Timing = { kind: 'first', samples: plan.firstPageSamples };
  const walk: Timing = { kind: 'walk', pages: plan.walkPages };
  /** A walk of the plan's length, or to the list's end when it is shorter: pages 2 to the returned last. */
  const upTo = (found: number) => Math.min(plan.walkPages + 1, Math.max(1, Math.ceil(found / PAGE_SIZE)));
  const walkOf = (found: number): Timing => ({ kind: 'walk', pages: upTo(found) - 1 });
  const search: Timing = { kind: 'rounds', rounds: plan.searchRounds, pages: plan.searchPages };
  const members = (group: SeedGroup, q?: string) => memberOrder(users, group, q);
  const { large, medium, small, filter } = chosen;
  const groups = groupOrder(population.groups);
  const counts = new Map(population.groups.map((g) => [g.id, g.members.length]));
  const searched = groupOrder(population.groups, GROUP_SEARCH);
  const scenario = (s: Omit<ListScenario, 'links'> & { links?: ListScenario['links'] }): ListScenario => ({ links: 'users', ...s });
  return [
    scenario({ id: 'group-large-first', label: `Group page, large group: first page`, url: groupPage(large), order: members(large), timing: first }),
    scenario({ id: 'group-large-walk', label: `Group page, large group: pages 2–${plan.walkPages + 1} via Next`, url: groupPage(large), order: members(large), timing: walk }),
    scenario({ id: 'group-medium-first', label: 'Group page, medium group: first page', url: groupPage(medium), order: members(medium), timing: first }),
    scenario({
      id: 'group-medium-walk',
      label: `Group page, medium group: pages 2–${upTo(medium.members.length)} via Next`,
      url: groupPage(medium),
      order: members(medium),
      timing: walkOf(medium.members.length),
    }),
    scenario({ id: 'group-small-first', label: 'Group page, small group: first page', url: groupPage(small), order: members(small), timing: first }),
    scenario({
      id: 'group-large-search',
      label: 'Group page, member search, large group',
      q: MEMBER_SEARCHES.large,
      url: groupPage(large, MEMBER_SEARCHES.large),
      order: members(large, MEMBER_SEARCHES.large),
      timing: search,
    }),
    scenario({
      id: 'group-medium-search',
      label: 'Group page, member search, medium group',
      q: MEMBER_SEARCHES.medium,
      url: groupPage(medium, MEMBER_SEARCHES.medium),
      order: members(medium, MEMBER_SEARCHES.medium),
      timing: search,
    }),
    scenario({ id: 'users-by-group-first', label: 'Users list by group: first page', url: admin('/users', { group: filter.id }), order: members(filter), timing: first }),
    scenario({
      id: 'users-by-group-walk',
      label: `Users list by group: pages 2–${plan.walkPages + 1} via Next`,
      url: admin('/users', { group: filter.id }),
      order: members(filter),
      timing: walk,
    }),
    scenario({ id: 'groups-first', label: 'Groups list: first page', url: admin('/groups'), order: groups.map((g) => g.id), links: 'groups', counts, timing: first }),
    scenario({
      id: 'groups-walk',
      label: `Groups list: pages 2–${upTo(groups.length)} via Next`,
      url: admin('/groups'),
      order: groups.map((g) => g.id),
      links: 'groups',
      counts,
      timing: walkOf(groups.length),
    }),
    scenario({
      id: 'groups-search',
      label: 'Groups list: search',
      q: GROUP_SEARCH,
      url: admin('/groups', { q: GROUP_SEARCH }),
      order: searched.map((g) => g.id),
      links: 'groups',
      counts,
      timing: search,
    }),
  ];
}

/** The rows of the page's tables (inside <tbody>): the markup around them may change, the links do not. */
function rows(html: string): string[] {
  return [...html.matchAll(/<tbody\b[^>]*>([\s\S]*?)<\/tbody>/gi)].flatMap((body) => [...(body[1] ?? '').matchAll(/<tr\b[^>]*>([\s\S]*?)<\/tr>/gi)].map((row) => row[1] ?? ''));
}

/** The id a table row links to (/admin/users/<id> or /admin/groups/<id>), or null for a row of another table. */
function rowId(row: string, links: ListScenario['links']): string | null {
  const href = new RegExp(`href="[^"]*/admin/${links}/([^"/?#]+)"`, 'i').exec(row)?.[1];
  return href === undefined ? null : decodeURIComponent(decodeHtml(href));
}

/** Checks page `index` (0-based) of the scenario's list; throws saying what is wrong. */
export function checkListPage(page: Pick<Page, 'body' | 'url'>, scenario: Pick<ListScenario, 'order' | 'links' | 'counts'>, index: number, what: string): void {
  const expected = scenario.order.slice(index * PAGE_SIZE, (index + 1) * PAGE_SIZE);
  const shown = rows(page.body).flatMap((row) => {
    const id = rowId(row, scenario.links);
    return id === null ? [] : [{ id, row }];
  });
  const at = `${what}, page ${index + 1}`;
  const wrong = shown.findIndex((s, i) => s.id !== expected[i]);
  if (wrong >= 0 || shown.length !== expected.length) {
    const i = wrong >= 0 ? wrong : Math.min(shown.length, expected.length);
    throw new Error(
      `${at}: row ${i + 1} shows ${shown[i]?.id ?? 'nothing'}, not ${expected[i] ?? 'nothing'} (${shown.length} rows shown, ${expected.length} expected: ${PAGE_SIZE} a page, in the list's order)`,
    );
  }
  if (scenario.counts) {
    for (const { id, row } of shown) {
      const cell = /<td\b[^>]*>\s*([\d,]+)\s*<\/td>/i.exec(row)?.[1];
      const count = cell === undefined ? NaN : Number(cell.replace(/,/g, ''));
      if (count !== scenario.counts.get(id)) throw new Error(`${at}: group ${id} shows ${cell ?? 'no'} members, not ${scenario.counts.get(id)}`);
    }
  }
  const more = scenario.order.length > (index + 1) * PAGE_SIZE;
  if (more !== (nextLink(page.body, page.url) !== null)) throw new Error(`${at}: ${more ? 'no Next link though more follow' : 'a Next link on the last page'}`);
}

/** Pages `from`..`from + count - 1` (0-based) from the first through the Next links, timing those; fewer at the list's end. */
async function walk(browser: Browser, scenario: ListScenario, count: number, from: number, what: string): Promise<number[]> {
  const timings: number[] = [];
  let url: string | null = scenario.url;
  for (let index = 0; url && index < from + count; index++) {
    const { ms, page } = await timedGet(browser, url);
    checkListPage(page, scenario, index, what);
    if (index >= from) timings.push(ms);
    url = nextLink(page.body, page.url);
  }
  return timings;
}

async function run(browser: Browser, scenario: ListScenario, warmUp: boolean): Promise<number[]> {
  const what = `${warmUp ? 'warm-up: ' : ''}${scenario.label}`;
  const { timing } = scenario;
  if (timing.kind === 'first') {
    const timings: number[] = [];
    for (let i = 0; i < (warmUp ? Math.min(2, timing.samples) : timing.samples); i++) timings.push(...(await walk(browser, scenario, 1, 0, what)));
    return timings;
  }
  if (timing.kind === 'rounds') {
    const timings: number[] = [];
    for (let round = 0; round < (warmUp ? 1 : timing.rounds); round++) timings.push(...(await walk(browser, scenario, timing.pages, 0, what)));
    return timings;
  }
  const timings = await walk(browser, scenario, warmUp ? Math.min(3, timing.pages) : timing.pages, 1, what);
  if (!warmUp && timings.length < timing.pages) throw new Error(`${scenario.label}: the walk ended after ${timings.length} of ${timing.pages} pages: too few members for the plan`);
  return timings;
}

/** Untimed: every scenario's pages once, so that templates, statements and caches are warm. */
export async function warmUpGroups(browser: Browser, scenarios: ListScenario[]): Promise<void> {
  for (const scenario of scenarios) await run(browser, scenario, true);
}

export async function measureGroups(browser: Browser, scenarios: ListScenario[], progress: (what: string) => void): Promise<ScenarioResult[]> {
  const results: ScenarioResult[] = [];
  for (const scenario of scenarios) {
    progress(scenario.label);
    const timings = await run(browser, scenario, false);
    results.push({ id: scenario.id, label: scenario.label, ...(scenario.q === undefined ? {} : { q: scenario.q }), matches: scenario.order.length, timings });
  }
  return results;
}
