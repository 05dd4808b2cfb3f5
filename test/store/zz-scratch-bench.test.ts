// SCRATCH (engineer store): timing and plans at 100,000 users; deleted before the report.
import { it } from 'vitest';
import pg from 'pg';
import { performance } from 'node:perf_hooks';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { openSqliteDatabase } from '../../src/store/sqlite/database.js';
import { openPostgresStore } from '../../src/store/postgres/postgres-store.js';
import { freshPostgresSchema, TEST_DATABASE_URL } from '../helpers/postgres.js';
import type { Store } from '../../src/store/store.js';

const USERS = 100_000;
const GROUPS = 1000;
const T0 = 1_700_000_000_000;

function rnd(seed: number) {
  let s = seed;
  return () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
}

function population() {
  const r = rnd(3);
  const users = Array.from({ length: USERS }, (_, i) => {
    const email = `${['ann', 'bob', 'cat', 'dan', 'eve', 'fay'][i % 6]}${Math.floor(r() * 1e9)}.${i}@example${i % 17}.com`;
    return { id: `u${String(i).padStart(6, '0')}x${Math.floor(r() * 1e6)}`, email, name: `Name ${i}` };
  });
  const groups = Array.from({ length: GROUPS }, (_, g) => ({ id: `g${String(g).padStart(4, '0')}-${Math.floor(r() * 1e6)}`, name: `group-${g}` }));
  const members: [string, string][] = [];
  // g0: 5000 members; g1: 50,000; g2: 10; g3: 500; others 20 each; user 0 in 50 groups.
  const sizes = (g: number) => (g === 0 ? 5000 : g === 1 ? 50_000 : g === 2 ? 10 : g === 3 ? 500 : 20);
  for (const [g, group] of groups.entries()) {
    const seen = new Set<number>();
    const n = sizes(g);
    while (seen.size < n) seen.add(Math.floor(r() * USERS));
    if (g < 50) seen.add(0);
    for (const i of seen) members.push([group.id, users[i]!.id]);
  }
  return { users, groups, members };
}

async function time(label: string, f: () => Promise<unknown>, runs = 20) {
  await f();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await f();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  console.log(`${label}: median ${times[Math.floor(runs / 2)]!.toFixed(2)} ms, max ${times[runs - 1]!.toFixed(2)} ms`);
}

async function measure(engine: string, store: Store, data: ReturnType<typeof population>) {
  const [g0, g1, g2, g3] = data.groups;
  for (const [label, group] of [['5000', g0], ['50000', g1], ['10', g2], ['500', g3]] as const) {
    await time(`${engine} inGroup ${label} first page`, () => store.users.list({ limit: 50, inGroup: group!.id }));
    const first = await store.users.list({ limit: 50, inGroup: group!.id });
    if (first.next) await time(`${engine} inGroup ${label} second page`, () => store.users.list({ limit: 50, inGroup: group!.id, after: first.next }));
    // a deep page: the cursor of the member at 80% of the order
    const all = (await store.users.list({ limit: 100_000, inGroup: group!.id })).items;
    const deep = all[Math.floor(all.length * 0.8)];
    if (deep) {
      const cursor = Buffer.from(JSON.stringify([deep.email.toLowerCase()])).toString('base64url');
      await time(`${engine} inGroup ${label} deep page`, () => store.users.list({ limit: 50, inGroup: group!.id, after: cursor }));
    }
    await time(`${engine} inGroup ${label} search 'ann'`, () => store.users.list({ limit: 50, inGroup: group!.id, search: 'ann' }));
    await time(`${engine} inGroup ${label} search rare '.4242'`, () => store.users.list({ limit: 50, inGroup: group!.id, search: '.4242' }));
  }
  await time(`${engine} groupsOf (50 groups)`, () => store.groups.groupsOf(data.users[0]!.id), 200);
  await time(`${engine} groups.list first page`, () => store.groups.list({ limit: 50 }));
  await time(`${engine} groups.list search`, () => store.groups.list({ limit: 50, search: 'p-1' }));
  await time(`${engine} clients.findById (20+20 groups)`, () => store.clients.findById('rp'), 200);
}

async function seedClient(store: Store, data: ReturnType<typeof population>) {
  await store.clients.create(
    {
      clientId: 'rp', name: 'RP', clientType: 'public', secretHash: null, tokenEndpointAuthMethod: 'none', redirectUris: ['https://rp/cb'], postLogoutRedirectUris: [],
      backchannelLogoutUri: null, grantTypes: ['authorization_code'], scopes: ['openid'], pkceRequired: true, accessPolicy: 'groups',
      accessGroups: data.groups.slice(0, 20).map((g) => g.id), claimGroups: data.groups.slice(20, 40).map((g) => g.id),
    },
    T0,
  );
}

it('sqlite', async () => {
  const data = population();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-'));
  const file = path.join(dir, 'g.db');
  const store = openSqliteStore({ file, synchronous: 'NORMAL' });
  const db = openSqliteDatabase(file, { synchronous: 'NORMAL' });
  db.transaction(() => {
    const u = db.prepare('INSERT INTO users (id, email, email_normalized, name, name_normalized, password_hash, is_admin, disabled, email_verified, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 0, 0, 0, ?, ?)');
    for (const x of data.users) u.run(x.id, x.email, x.email.toLowerCase(), x.name, x.name.toLowerCase(), 'h', T0, T0);
    const g = db.prepare("INSERT INTO groups (id, name, name_key, description, require_mfa, created_at, updated_at) VALUES (?, ?, ?, '', 0, ?, ?)");
    for (const x of data.groups) g.run(x.id, x.name, x.name.toLowerCase(), T0, T0);
    const m = db.prepare('INSERT INTO group_members (group_id, user_id, added_at) VALUES (?, ?, ?)');
    for (const [gid, uid] of data.members) m.run(gid, uid, T0);
  })();
  if (process.env.BENCH_ANALYZE) db.exec('ANALYZE');
  await seedClient(store, data);
  const plans = (sql: string, ...args: unknown[]) => console.log(sql.slice(0, 120), '\n  ', (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...args) as { detail: string }[]).map((r) => r.detail).join(' | '));
  const cols = 'users.id';
  plans(`SELECT ${cols} FROM group_members CROSS JOIN users ON users.id = group_members.user_id WHERE group_members.group_id = ? AND users.email_normalized > ? ORDER BY users.email_normalized LIMIT 51`, data.groups[0]!.id, 'a');
  plans(`SELECT ${cols} FROM users WHERE users.email_normalized > ? AND users.email_normalized <= ? AND EXISTS (SELECT 1 FROM group_members WHERE group_members.group_id = ? AND group_members.user_id = users.id) ORDER BY users.email_normalized LIMIT 51`, 'a', 'b', data.groups[0]!.id);
  plans(`SELECT email_normalized FROM users WHERE email_normalized > ? ORDER BY email_normalized LIMIT 1 OFFSET 1999`, 'a');
  plans('SELECT groups.id, groups.name, groups.require_mfa FROM group_members INDEXED BY group_members_by_user CROSS JOIN groups ON groups.id = group_members.group_id WHERE group_members.user_id = ? ORDER BY groups.name_key', 'x');
  plans(`SELECT groups.id, (SELECT count(*) FROM group_members WHERE group_members.group_id = groups.id) AS member_count FROM groups WHERE name_key >= ? AND (name_key, id) > (?, ?) ORDER BY name_key, id LIMIT 51`, 'a', 'a', 'b');
  plans(`SELECT client_id, (SELECT json_group_array(group_id ORDER BY group_id) FROM client_groups WHERE client_groups.client_id = clients.client_id AND role = 'access') FROM clients WHERE client_id = ?`, 'rp');
  await measure('sqlite', store, data);
  db.close();
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
}, 600_000);

it.runIf(TEST_DATABASE_URL && !process.env.SKIP_PG)('postgres', async () => {
  const data = population();
  const { schema, drop } = await freshPostgresSchema(TEST_DATABASE_URL!);
  const store = await openPostgresStore({ url: TEST_DATABASE_URL!, poolSize: 2, schema });
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  await client.query(`SET search_path = ${schema}`);
  try {
    for (let i = 0; i < data.users.length; i += 10_000) {
      const s = data.users.slice(i, i + 10_000);
      await client.query(
        "INSERT INTO users (id, email, email_normalized, name, name_normalized, password_hash, created_at, updated_at) SELECT a, b, lower(b), c, lower(c), 'h', $4, $4 FROM unnest($1::text[], $2::text[], $3::text[]) AS t(a, b, c)",
        [s.map((x) => x.id), s.map((x) => x.email), s.map((x) => x.name), T0],
      );
    }
    await client.query("INSERT INTO groups (id, name, name_key, created_at, updated_at) SELECT a, b, lower(b), $3, $3 FROM unnest($1::text[], $2::text[]) AS t(a, b)", [data.groups.map((g) => g.id), data.groups.map((g) => g.name), T0]);
    for (let i = 0; i < data.members.length; i += 20_000) {
      const s = data.members.slice(i, i + 20_000);
      await client.query('INSERT INTO group_members (group_id, user_id, added_at) SELECT a, b, $3 FROM unnest($1::text[], $2::text[]) AS t(a, b)', [s.map((m) => m[0]), s.map((m) => m[1]), T0]);
    }
    await client.query('VACUUM ANALYZE');
    await seedClient(store, data);
    const explain = async (sql: string, values: unknown[]) => {
      await client.query(`PREPARE p AS ${sql}`);
      await client.query('SET plan_cache_mode = force_generic_plan');
      const rows = (await client.query(`EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY ON) EXECUTE p(${values.map((v) => (typeof v === 'number' ? v : `'${v}'`)).join(', ')})`)).rows;
      console.log(sql.slice(0, 100), '\n', rows.map((r) => r['QUERY PLAN']).join('\n'));
      await client.query('DEALLOCATE p');
    };
    const g0 = data.groups[0]!.id;
    await explain("SELECT users.id FROM users WHERE users.email_normalized > $3 AND users.id = ANY (ARRAY(SELECT user_id FROM group_members WHERE group_members.group_id = $1)) ORDER BY users.email_normalized LIMIT $2", [g0, 51, 'a']);
    await explain("SELECT users.id FROM users WHERE users.email_normalized > $3 AND users.email_normalized <= $4 AND EXISTS (SELECT 1 FROM group_members WHERE group_members.group_id = $1 AND group_members.user_id = users.id) ORDER BY users.email_normalized LIMIT $2", [g0, 51, 'ann', 'ann2']);
    await explain('SELECT groups.id, groups.name FROM group_members JOIN groups ON groups.id = group_members.group_id WHERE group_members.user_id = $1 ORDER BY groups.name_key', [data.users[0]!.id]);
    await explain("SELECT client_id, (SELECT coalesce(json_agg(group_id ORDER BY group_id), '[]')::text FROM client_groups WHERE client_groups.client_id = clients.client_id AND role = 'access') FROM clients WHERE client_id = $1", ['rp']);
    await explain('SELECT groups.id, (SELECT count(*) FROM group_members WHERE group_members.group_id = groups.id) AS member_count FROM groups WHERE (name_key, id) > ($2, $3) ORDER BY name_key, id LIMIT $1', [51, 'a', 'b']);
    await measure('postgres', store, data);
  } finally {
    await client.end();
    await store.close();
    await drop();
  }
}, 900_000);
