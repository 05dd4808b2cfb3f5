// The seeded people of the admin users benchmark: deterministic (one seed, one generator), drawn from first
// names × last names × email domains with skewed frequencies, so that a search can be common, rare or empty.
// Also the searches measured, and what each must find, worked out here in JavaScript from the same rows: the
// benchmark checks every page it times against these, so a fast page that shows the wrong people fails.
import { normalizeEmail } from '../../src/store/normalize-email.js';

export interface SeedUser {
  id: string;
  email: string;
  /** As the store keeps it (src/store/normalize-email.ts): the list's sort key and its keyset cursor. */
  emailNormalized: string;
  name: string;
  disabled: boolean;
  emailVerified: boolean;
  createdAt: number;
}

/** mulberry32: small, fast and the same on every machine. */
export function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Most frequent first. A few names carry letters outside ASCII: their emails are folded to ASCII, their names are
// not, so a search for "Zoë" only matches names (and takes the store's non-ASCII path).
const FIRST_NAMES = [
  'James',
  'Mary',
  'Michael',
  'Patricia',
  'John',
  'Jennifer',
  'Robert',
  'Linda',
  'David',
  'Elizabeth',
  'William',
  'Barbara',
  'Richard',
  'Susan',
  'Joseph',
  'Jessica',
  'Thomas',
  'Karen',
  'Christopher',
  'Sarah',
  'Charles',
  'Lisa',
  'Daniel',
  'Nancy',
  'Matthew',
  'Sandra',
  'Anthony',
  'Betty',
  'Mark',
  'Ashley',
  'Donald',
  'Emily',
  'Steven',
  'Kimberly',
  'Andrew',
  'Margaret',
  'Paul',
  'Donna',
  'Joshua',
  'Michelle',
  'Kenneth',
  'Carol',
  'Kevin',
  'Amanda',
  'Brian',
  'Melissa',
  'Timothy',
  'Deborah',
  'Ronald',
  'Stephanie',
  'George',
  'Rebecca',
  'Jason',
  'Sharon',
  'Edward',
  'Laura',
  'Jeffrey',
  'Cynthia',
  'Ryan',
  'Dorothy',
  'Jacob',
  'Amy',
  'Nicholas',
  'Kathleen',
  'Gary',
  'Angela',
  'Eric',
  'Shirley',
  'Jonathan',
  'Emma',
  'Stephen',
  'Brenda',
  'Larry',
  'Pamela',
  'Justin',
  'Nicole',
  'Scott',
  'Anna',
  'Brandon',
  'Samantha',
  'Benjamin',
  'Katherine',
  'Samuel',
  'Christine',
  'Gregory',
  'Debra',
  'Alexander',
  'Rachel',
  'Patrick',
  'Carolyn',
  'Frank',
  'Janet',
  'Raymond',
  'Maria',
  'Jack',
  'Olivia',
  'Dennis',
  'Heather',
  'Jerry',
  'Helen',
  'Tyler',
  'Catherine',
  'Aaron',
  'Diane',
  'José',
  'Julie',
  'Adam',
  'Victoria',
  'Nathan',
  'Joyce',
  'Henry',
  'Lauren',
  'Zachary',
  'Kelly',
  'Douglas',
  'Christina',
  'Peter',
  'Ruth',
  'Kyle',
  'Joan',
  'Noah',
  'Virginia',
  'Ethan',
  'Judith',
  'Jeremy',
  'Evelyn',
  'Christian',
  'Hannah',
  'Walter',
  'Andrea',
  'Keith',
  'Megan',
  'Zoë',
  'Søren',
  'Chloé',
  'Björn',
  'Renée',
  'Łukasz',
  'Ingrid',
  'Aiko',
  'Mateo',
  'Priya',
  'Kwame',
  'Yusuf',
];

const LAST_NAMES = [
  'Smith',
  'Johnson',
  'Williams',
  'Brown',
  'Jones',
  'Garcia',
  'Miller',
  'Davis',
  'Rodriguez',
  'Martinez',
  'Hernandez',
  'Lopez',
  'Gonzalez',
  'Wilson',
  'Anderson',
  'Thomas',
  'Taylor',
  'Moore',
  'Jackson',
  'Martin',
  'Lee',
  'Perez',
  'Thompson',
  'White',
  'Harris',
  'Sanchez',
  'Clark',
  'Ramirez',
  'Lewis',
  'Robinson',
  'Walker',
  'Young',
  'Allen',
  'King',
  'Wright',
  'Scott',
  'Torres',
  'Nguyen',
  'Hill',
  'Flores',
  'Green',
  'Adams',
  'Nelson',
  'Baker',
  'Hall',
  'Rivera',
  'Campbell',
  'Mitchell',
  'Carter',
  'Roberts',
  'Gomez',
  'Phillips',
  'Evans',
  'Turner',
  'Diaz',
  'Parker',
  'Cruz',
  'Edwards',
  'Collins',
  'Reyes',
  'Stewart',
  'Morris',
  'Morales',
  'Murphy',
  'Cook',
  'Rogers',
  'Gutierrez',
  'Ortiz',
  'Morgan',
  'Cooper',
  'Peterson',
  'Bailey',
  'Reed',
  'Kelly',
  'Howard',
  'Ramos',
  'Kim',
  'Cox',
  'Ward',
  'Richardson',
  'Watson',
  'Brooks',
  'Chavez',
  'Wood',
  'James',
  'Bennett',
  'Gray',
  'Mendoza',
  'Ruiz',
  'Hughes',
  'Price',
  'Alvarez',
  'Castillo',
  'Sanders',
  'Patel',
  'Myers',
  'Long',
  'Ross',
  'Foster',
  'Jimenez',
  'Powell',
  'Jenkins',
  'Perry',
  'Russell',
  'Sullivan',
  'Bell',
  'Coleman',
  'Butler',
  'Henderson',
  'Barnes',
  'Gonzales',
  'Fisher',
  'Vasquez',
  'Simmons',
  'Romero',
  'Jordan',
  'Patterson',
  'Alexander',
  'Hamilton',
  'Graham',
  'Reynolds',
  'Griffin',
  'Wallace',
  'Moreno',
  'West',
  'Cole',
  'Hayes',
  'Bryant',
  'Herrera',
  'Gibson',
  'Ellis',
  'Tran',
  'Medina',
  'Aguilar',
  'Stevens',
  'Murray',
  'Ford',
  'Castro',
  'Marshall',
  'Owens',
  'Harrison',
  'Fernandez',
  'McDonald',
  'Woods',
  'Washington',
  'Kennedy',
  'Wells',
  'Vargas',
  'Henry',
  'Chen',
  'Freeman',
  'Webb',
  'Tucker',
  'Guzman',
  'Burns',
  'Crawford',
  'Olsen',
  'Kowalski',
  'Yamamoto',
  'Okafor',
  'Lindqvist',
  'Dubois',
  'Rossi',
  'Novak',
  'Schmidt',
  'Haddad',
  'Mensah',
  'Ivanova',
];

/** [domain, weight]: a few big providers, then organisations of falling size. */
const DOMAINS: [string, number][] = [
  ['mail.example', 18],
  ['example.com', 16],
  ['example.org', 9],
  ['example.net', 8],
  ['inbox.example', 7],
  ['northwind.example', 6],
  ['contoso.example', 5],
  ['fabrikam.example', 4],
  ['initech.test', 3],
  ['globex.test', 3],
  ['hooli.test', 2],
  ['umbrella.test', 2],
  ['acme.test', 2],
  ['stark.test', 1],
  ['wayne.test', 1],
  ['tyrell.test', 1],
  ['cyberdyne.test', 1],
  ['aperture.test', 1],
];

/** Planted in every population, however large: the rare search finds exactly these. */
export const RARE_LAST_NAME = 'Featherstonehaugh';
export const RARE_COUNT = 5;

/** The signed-in administrator: one more user, created through the project's own createUser. */
export const ADMIN = { email: 'admin@gatehouse.bench', name: 'Bench Admin' };

function zipfPicker(count: number, offset: number, random: () => number): () => number {
  const cumulative: number[] = [];
  let total = 0;
  for (let rank = 0; rank < count; rank++) cumulative.push((total += 1 / (rank + offset)));
  return () => {
    const x = random() * total;
    let lo = 0;
    let hi = count - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((cumulative[mid] ?? 0) < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

function weightedPicker<T>(items: [T, number][], random: () => number): () => T {
  const total = items.reduce((sum, [, w]) => sum + w, 0);
  return () => {
    let x = random() * total;
    for (const [item, weight] of items) if ((x -= weight) < 0) return item;
    return (items[items.length - 1] as [T, number])[0];
  };
}

/** Letters as an email local part has them: accents dropped, ø and ł folded by hand (NFKD keeps them). */
function asciiFold(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/ø/g, 'o')
    .replace(/Ø/g, 'O')
    .replace(/ł/g, 'l')
    .replace(/Ł/g, 'L')
    .toLowerCase();
}

const LOCAL_PARTS: [(first: string, last: string, n: number) => string, number][] = [
  [(f, l) => `${f}.${l}`, 30],
  [(f, l) => `${f}${l}`, 12],
  [(f, l) => `${f[0]}.${l}`, 12],
  [(f, l) => `${f[0]}${l}`, 10],
  [(f, l) => `${f}_${l}`, 6],
  [(f, l, n) => `${f}.${l}${n}`, 14],
  [(f, _l, n) => `${f}${n}`, 6],
  [(f, l) => `${l}.${f}`, 6],
  [(f, l) => `${l}${f[0]}`, 4],
];

function base64url(random: () => number, bytes: number): string {
  const buffer = Buffer.alloc(bytes);
  for (let i = 0; i < bytes; i++) buffer[i] = Math.floor(random() * 256);
  return buffer.toString('base64url');
}

/** `count` users, the same ones for the same count and seed; every email unique once normalised. */
export function population(count: number, seed = 20_260_101): SeedUser[] {
  const random = generator(seed);
  const first = zipfPicker(FIRST_NAMES.length, 8, random);
  const last = zipfPicker(LAST_NAMES.length, 10, random);
  const domain = weightedPicker(DOMAINS, random);
  const localPart = weightedPicker(LOCAL_PARTS, random);
  const taken = new Set<string>([normalizeEmail(ADMIN.email)]);
  const users: SeedUser[] = [];
  const now = Date.UTC(2026, 0, 1);
  const threeYears = 3 * 365 * 24 * 3600 * 1000;
  // The rare ones sit at even intervals of the generation order, which is not the list's order (by email).
  const rareEvery = Math.max(1, Math.floor(count / RARE_COUNT));
  let rare = 0;
  for (let i = 0; i < count; i++) {
    const firstName = FIRST_NAMES[first()] ?? 'Alex';
    const planted = i % rareEvery === Math.floor(rareEvery / 2) && rare < RARE_COUNT;
    if (planted) rare++;
    const lastName = planted ? RARE_LAST_NAME : (LAST_NAMES[last()] ?? 'Doe');
    const base = localPart()(asciiFold(firstName), asciiFold(lastName), 1 + Math.floor(random() * 99));
    const at = `@${domain()}`;
    let email = `${base}${at}`;
    for (let n = 2; taken.has(email); n++) email = `${base}${n}${at}`;
    taken.add(email);
    users.push({
      id: base64url(random, 16),
      email,
      emailNormalized: normalizeEmail(email),
      name: `${firstName} ${lastName}`,
      disabled: random() < 0.02,
      emailVerified: random() < 0.7,
      createdAt: now - Math.floor(random() * threeYears),
    });
  }
  return users;
}

export interface Search {
  id: string;
  label: string;
  /** What the admin types into the search box, as typed (mixed case: the search ignores case). */
  q: string;
}

/** The searches of the issue: common, rare, an email domain, nothing; and one with a letter outside ASCII. */
export const SEARCHES: Search[] = [
  { id: 'search-common', label: 'Search, common (a frequent first name)', q: 'James' },
  { id: 'search-rare', label: `Search, rare (${RARE_COUNT} matches: read from the trigram index)`, q: RARE_LAST_NAME },
  { id: 'search-domain', label: 'Search, an email domain', q: '@initech.test' },
  { id: 'search-none', label: 'Search, no match', q: 'zzyzx-nobody' },
  { id: 'search-non-ascii', label: 'Search, non-ASCII name', q: 'Zoë' },
];

/** Emails (normalised, in list order) of everyone a search finds, the admin included; the list's order is binary. */
export function listOrder(users: SeedUser[], adminEmail: string, adminName: string, q?: string): string[] {
  const term = q?.trim().toLowerCase() ?? '';
  const all = [...users.map((u) => ({ email: u.emailNormalized, name: u.name })), { email: normalizeEmail(adminEmail), name: adminName }];
  const found = term === '' ? all : all.filter((u) => u.email.includes(term) || u.name.toLowerCase().includes(term));
  return found.map((u) => u.email).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
