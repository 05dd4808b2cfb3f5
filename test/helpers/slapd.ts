// A real OpenLDAP slapd for the directory tests (issue 23), run as a child process of the test: its own
// temporary directory, a cn=config made with `slapadd -n0` from a generated LDIF (mdb database, the ppolicy
// overlay for pwdAccountLockedTime, the memberof overlay), a throw-away CA and server certificate for 127.0.0.1,
// and the people of test/fixtures/ldap/people.ldif (slapadd) plus the groups of groups.ldif (added over the
// network, so that the memberof overlay fills memberOf). The system's slapd service is never used.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Client } from 'ldapts';
import { LDAP_ATTRIBUTES, type LdapSettings } from '../../src/federation/provider-settings.js';
import { freePort } from './processes.js';
import { tempDir } from './temp-dir.js';

const SLAPD = '/usr/sbin/slapd';
const SLAPADD = '/usr/sbin/slapadd';
const FIXTURES = path.join(import.meta.dirname, '../fixtures/ldap');

export const BASE_DN = 'dc=example,dc=org';
export const ROOT_DN = `cn=admin,${BASE_DN}`;
export const ROOT_PASSWORD = 'root-secret-0';
export const SERVICE_DN = `cn=gatehouse,ou=services,${BASE_DN}`;
export const SERVICE_PASSWORD = 'service-secret-7';

export interface LdapPerson {
  dn: string;
  email: string;
  password: string;
}

/** The people of test/fixtures/ldap/people.ldif. */
export const LDAP_USERS = {
  /** displayName "Alice L.", cn "Alice Liddell"; groups engineers, admins. */
  alice: { dn: `uid=alice,ou=people,${BASE_DN}`, email: 'alice@example.org', password: 'alice-password-1' },
  /** No displayName (cn "Bob Builder"); groups engineers (groupOfNames) and auditors (groupOfUniqueNames). */
  bob: { dn: `uid=bob,ou=people,${BASE_DN}`, email: 'bob@example.org', password: 'bob-password-2' },
  /** Locked: pwdAccountLockedTime 000001010000Z (ppolicy); slapd refuses its bind too. */
  carol: { dn: `uid=carol,ou=people,${BASE_DN}`, email: 'carol@example.org', password: 'carol-password-3' },
  /** A DN with parentheses (`uid=dan(contractor)`): the group search must escape it; group engineers. */
  dan: { dn: `uid=dan(contractor),ou=people,${BASE_DN}`, email: 'dan@example.org', password: 'dan-password-4' },
  /** Two entries with mail twin@example.org (a misconfigured directory). */
  twin: { dn: `uid=twin1,ou=people,${BASE_DN}`, email: 'twin@example.org', password: 'twin-password-5' },
} satisfies Record<string, LdapPerson>;

export interface SlapdOptions {
  /** false: no certificate and no ldaps:// listener (a directory where StartTLS fails). Default true. */
  tls?: boolean;
}

export interface Slapd {
  /** ldap://127.0.0.1:PORT */
  url: string;
  /** ldaps://127.0.0.1:PORT2 (null when tls is false). */
  ldapsUrl: string | null;
  /** The throw-away CA that signed the server's certificate (SAN IP:127.0.0.1, DNS:localhost); '' when tls is false. */
  caPem: string;
  caFile: string;
  baseDn: string;
  userBase: string;
  groupBase: string;
  rootDn: string;
  rootPassword: string;
  serviceDn: string;
  servicePassword: string;
  users: typeof LDAP_USERS;
  /** Adds entries (LDIF text, `dn:` blocks) as the root DN, over the network (overlays run). */
  addEntry(ldif: string): Promise<void>;
  /** Applies an LDIF change record (`changetype: modify` ...) as the root DN. */
  modify(ldif: string): Promise<void>;
  /** SIGTERM, waits for the exit (bounded), removes the temporary directory. Safe to call twice. */
  stop(): Promise<void>;
}

function run(file: string, args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(file, args, { timeout: 20_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${path.basename(file)} ${args.join(' ')} failed: ${error.message}\n${stderr}`));
      else resolve(stdout);
    });
    child.stdin?.end(input ?? '');
  });
}

/** A throw-away CA (EC P-256) in `dir`: returns the paths of its certificate and key. */
export async function makeCa(dir: string, name = 'Gatehouse Test CA'): Promise<{ certFile: string; keyFile: string; pem: string }> {
  mkdirSync(dir, { recursive: true });
  const certFile = path.join(dir, 'ca.pem');
  const keyFile = path.join(dir, 'ca.key');
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    keyFile,
    '-out',
    certFile,
    '-days',
    '2',
    '-subj',
    `/CN=${name}`,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  return { certFile, keyFile, pem: readFileSync(certFile, 'utf8') };
}

async function makeServerCertificate(dir: string, ca: { certFile: string; keyFile: string }): Promise<{ certFile: string; keyFile: string }> {
  const certFile = path.join(dir, 'server.pem');
  const keyFile = path.join(dir, 'server.key');
  const csr = path.join(dir, 'server.csr');
  const ext = path.join(dir, 'server.ext');
  writeFileSync(ext, 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n');
  await run('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', keyFile, '-out', csr, '-subj', '/CN=127.0.0.1']);
  await run('openssl', ['x509', '-req', '-in', csr, '-CA', ca.certFile, '-CAkey', ca.keyFile, '-CAcreateserial', '-out', certFile, '-days', '2', '-extfile', ext]);
  return { certFile, keyFile };
}

function configLdif(dir: string, tls: { caFile: string; certFile: string; keyFile: string } | null): string {
  const tlsLines = tls ? `olcTLSCACertificateFile: ${tls.caFile}\nolcTLSCertificateFile: ${tls.certFile}\nolcTLSCertificateKeyFile: ${tls.keyFile}\n` : '';
  return `dn: cn=config
objectClass: olcGlobal
cn: config
olcPidFile: ${path.join(dir, 'slapd.pid')}
${tlsLines}
dn: cn=module{0},cn=config
objectClass: olcModuleList
cn: module{0}
olcModulePath: /usr/lib/ldap
olcModuleLoad: back_mdb
olcModuleLoad: ppolicy
olcModuleLoad: memberof

dn: cn=schema,cn=config
objectClass: olcSchemaConfig
cn: schema

include: file:///etc/ldap/schema/core.ldif

include: file:///etc/ldap/schema/cosine.ldif

include: file:///etc/ldap/schema/inetorgperson.ldif

dn: olcDatabase={-1}frontend,cn=config
objectClass: olcDatabaseConfig
objectClass: olcFrontendConfig
olcDatabase: {-1}frontend

dn: olcDatabase={0}config,cn=config
objectClass: olcDatabaseConfig
olcDatabase: {0}config
olcAccess: {0}to * by * none

dn: olcDatabase={1}mdb,cn=config
objectClass: olcDatabaseConfig
objectClass: olcMdbConfig
olcDatabase: {1}mdb
olcDbDirectory: ${path.join(dir, 'data')}
olcDbMaxSize: 16777216
olcSuffix: ${BASE_DN}
olcRootDN: ${ROOT_DN}
olcRootPW: ${ROOT_PASSWORD}
olcDbIndex: objectClass eq
olcDbIndex: mail eq
olcDbIndex: member,uniqueMember eq
olcAccess: {0}to attrs=userPassword by self =xw by anonymous auth by * none
olcAccess: {1}to * by dn.exact="${SERVICE_DN}" read by self read by * none

dn: olcOverlay={0}memberof,olcDatabase={1}mdb,cn=config
objectClass: olcOverlayConfig
objectClass: olcMemberOf
olcOverlay: {0}memberof
olcMemberOfGroupOC: groupOfNames
olcMemberOfMemberAD: member
olcMemberOfMemberOfAD: memberOf

dn: olcOverlay={1}ppolicy,olcDatabase={1}mdb,cn=config
objectClass: olcOverlayConfig
objectClass: olcPPolicyConfig
olcOverlay: {1}ppolicy
olcPPolicyDefault: cn=default,ou=policies,${BASE_DN}
olcPPolicyUseLockout: FALSE
`;
}

/** Resolves once slapd answers a bind as the root DN; rejects after ~10 s or when slapd exits. */
async function waitUntilAnswering(url: string, child: ChildProcess, output: () => string): Promise<void> {
  let lastError: unknown = null;
  for (let attempt = 0; attempt < 100; attempt += 1) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`slapd exited (${child.exitCode ?? child.signalCode}):\n${output()}`);
    const client = new Client({ url, connectTimeout: 1000, timeout: 1000 });
    try {
      await client.bind(ROOT_DN, ROOT_PASSWORD);
      await client.unbind();
      return;
    } catch (error) {
      lastError = error;
      await client.unbind().catch(() => undefined);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`slapd did not answer at ${url}: ${String(lastError)}\n${output()}`);
}

function ldapTool(tool: 'ldapadd' | 'ldapmodify', url: string, ldif: string): Promise<string> {
  return run(`/usr/bin/${tool}`, ['-x', '-H', url, '-D', ROOT_DN, '-w', ROOT_PASSWORD], ldif);
}

/** Starts a slapd of its own (the caller stops it, typically in afterAll). */
export async function startSlapd(options: SlapdOptions = {}): Promise<Slapd> {
  const withTls = options.tls ?? true;
  const temp = tempDir();
  const dir = temp.dir;
  let child: ChildProcess | null = null;
  let guard: ChildProcess | null = null;
  try {
    const configDir = path.join(dir, 'slapd.d');
    mkdirSync(configDir);
    mkdirSync(path.join(dir, 'data'));
    let tls: { caFile: string; certFile: string; keyFile: string } | null = null;
    let caPem = '';
    let caFile = '';
    if (withTls) {
      const ca = await makeCa(path.join(dir, 'ca'));
      const server = await makeServerCertificate(dir, ca);
      tls = { caFile: ca.certFile, ...server };
      caPem = ca.pem;
      caFile = ca.certFile;
    }
    const configFile = path.join(dir, 'config.ldif');
    writeFileSync(configFile, configLdif(dir, tls));
    await run(SLAPADD, ['-n0', '-F', configDir, '-l', configFile]);
    await run(SLAPADD, ['-n1', '-F', configDir, '-l', path.join(FIXTURES, 'people.ldif')]);

    const port = await freePort();
    const url = `ldap://127.0.0.1:${port}`;
    let ldapsUrl: string | null = null;
    const listeners = [`${url}/`];
    if (withTls) {
      ldapsUrl = `ldaps://127.0.0.1:${await freePort()}`;
      listeners.push(`${ldapsUrl}/`);
    }
    // -d: stay in the foreground (a child we can signal); level 0 logs nothing. GATEHOUSE_SLAPD_DEBUG=<level>
    // (e.g. 256 for stats) prints slapd's log when it stops.
    const debug = process.env.GATEHOUSE_SLAPD_DEBUG ?? '0';
    const started = spawn(SLAPD, ['-F', configDir, '-h', listeners.join(' '), '-d', debug], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = started;
    let output = '';
    started.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    started.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<void>((resolve) => started.once('exit', () => resolve()));
    // A test file that fails before its afterAll, or a worker that is killed, must not leave a slapd behind: a
    // watchdog shell reads a pipe from this process and, when the pipe closes (this process is gone), kills
    // slapd and removes the directory. stop() kills the watchdog first.
    const watchdog = (guard = spawn('/bin/sh', ['-c', 'cat >/dev/null; kill -KILL "$0" 2>/dev/null; rm -rf "$1"', String(started.pid), dir], {
      stdio: ['pipe', 'ignore', 'ignore'],
    }));
    watchdog.on('error', () => undefined);
    watchdog.unref();
    (watchdog.stdin as unknown as { unref?: () => void } | null)?.unref?.();
    await waitUntilAnswering(url, started, () => output);
    await ldapTool('ldapadd', url, readFileSync(path.join(FIXTURES, 'groups.ldif'), 'utf8'));

    let stopped = false;
    return {
      url,
      ldapsUrl,
      caPem,
      caFile,
      baseDn: BASE_DN,
      userBase: `ou=people,${BASE_DN}`,
      groupBase: `ou=groups,${BASE_DN}`,
      rootDn: ROOT_DN,
      rootPassword: ROOT_PASSWORD,
      serviceDn: SERVICE_DN,
      servicePassword: SERVICE_PASSWORD,
      users: LDAP_USERS,
      addEntry: async (ldif) => void (await ldapTool('ldapadd', url, ldif)),
      modify: async (ldif) => void (await ldapTool('ldapmodify', url, ldif)),
      async stop() {
        if (stopped) return;
        stopped = true;
        watchdog.kill('SIGKILL');
        if (started.exitCode === null && started.signalCode === null) {
          started.kill('SIGTERM');
          const killer = setTimeout(() => started.kill('SIGKILL'), 5000);
          await exited;
          clearTimeout(killer);
        }
        if (debug !== '0') console.log(output);
        temp.remove();
      },
    };
  } catch (error) {
    guard?.kill('SIGKILL');
    if (child && child.exitCode === null) child.kill('SIGKILL');
    temp.remove();
    throw error;
  }
}

/**
 * Provider settings (the `settings` JSON of an `identity_providers` row of kind ldap) for this slapd: ldap:// with
 * StartTLS and the throw-away CA, the service account, people under ou=people found by mail, groups under ou=groups,
 * the default attribute mapping. The service password goes, sealed, into the row's `secret` (slapd.servicePassword).
 */
export function ldapSettingsFor(slapd: Slapd, overrides: Partial<LdapSettings> = {}): LdapSettings {
  return {
    url: slapd.url,
    startTls: true,
    ca: slapd.caPem || null,
    bindDn: slapd.serviceDn,
    userBase: slapd.userBase,
    userFilter: '(&(objectClass=inetOrgPerson)(mail={email}))',
    groupBase: slapd.groupBase,
    attributes: { ...LDAP_ATTRIBUTES },
    passwordResetUrl: null,
    ...overrides,
  };
}

/** A TCP relay in front of a server: counts connections (at once and in all) and keeps what clients sent. */
export interface TcpProxy {
  port: number;
  /** Connections open right now. */
  active: number;
  /** The most connections open at once. */
  peak: number;
  total: number;
  /** Everything clients sent, in order (plain text unless the connection upgraded to TLS). */
  fromClients: Buffer[];
  /** Cuts every open connection (a directory restart, a firewall timeout). */
  dropAll(): void;
  /** While true, what clients send is kept back (a directory that does not answer); resume() sends it on. */
  holding: boolean;
  resume(): void;
  stop(): Promise<void>;
}

export async function tcpProxy(targetPort: number): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>();
  const held: [net.Socket, Buffer][] = [];
  const state: TcpProxy = {
    port: 0,
    active: 0,
    peak: 0,
    total: 0,
    fromClients: [],
    dropAll: () => {
      for (const socket of sockets) socket.destroy();
    },
    holding: false,
    resume: () => {
      state.holding = false;
      for (const [upstream, chunk] of held.splice(0)) if (!upstream.destroyed) upstream.write(chunk);
    },
    stop: async () => undefined,
  };
  const server = net.createServer((client) => {
    state.active += 1;
    state.total += 1;
    state.peak = Math.max(state.peak, state.active);
    const upstream = net.connect(targetPort, '127.0.0.1');
    sockets.add(client);
    sockets.add(upstream);
    client.on('data', (chunk: Buffer) => {
      state.fromClients.push(Buffer.from(chunk));
      if (state.holding) held.push([upstream, chunk]);
      else upstream.write(chunk);
    });
    upstream.pipe(client);
    let closed = false;
    const end = () => {
      if (closed) return;
      closed = true;
      state.active -= 1;
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', end);
    upstream.on('close', end);
    client.on('error', end);
    upstream.on('error', end);
  });
  await listenWithStop(server, sockets, state);
  return state;
}

/** A server that accepts connections and never answers (a hung directory); `connections` counts them. */
export async function silentServer(): Promise<{ port: number; connections: number; stop(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const state = { port: 0, connections: 0, stop: async () => undefined };
  const server = net.createServer((socket) => {
    state.connections += 1;
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await listenWithStop(server, sockets, state);
  return state;
}

/** Listens on a free loopback port (into `state.port`); `state.stop` then cuts every connection and closes. */
async function listenWithStop(server: net.Server, sockets: Set<net.Socket>, state: { port: number; stop(): Promise<void> }): Promise<void> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.port = (server.address() as net.AddressInfo).port;
  state.stop = async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
}
