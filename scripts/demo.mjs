// `npm run demo`: Gatehouse and the three example applications (examples/), on loopback addresses of their own,
// with a fresh data directory, a demo administrator and a demo user. The SPA's API is registered as an API (its
// tokens carry its identifier as `aud`), and the device-flow command-line tool (examples/device-cli) as a client
// that the banner says how to run. Ctrl-C stops everything and deletes the data directory.
//
//   --ports auto   pick free ports instead of 4000–4004 (the browser tests run the demo beside other tests)
//   --json         print the addresses and credentials as one JSON line instead of the banner
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { freePort, runIdp, startProcess, waitForOk } from './demo/processes.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values: options } = parseArgs({ options: { ports: { type: 'string', default: 'fixed' }, json: { type: 'boolean', default: false } } });
if (!['fixed', 'auto'].includes(options.ports)) {
  console.error('demo: --ports is "auto" or absent (fixed ports 4000-4004)');
  process.exit(2);
}
if (!existsSync(path.join(root, 'dist/gatehouse.mjs'))) {
  console.error('demo: dist/ is missing: run `npm run demo` (it builds first), not this script on its own');
  process.exit(2);
}

// Each application on an address of its own: browsers keep cookies per host, not per port, so these stay apart.
const HOSTS = { gatehouse: '127.0.0.1', express: '127.0.0.2', openidClient: '127.0.0.3', spa: '127.0.0.4', api: '127.0.0.5' };
const FIXED_PORTS = { gatehouse: 4000, express: 4001, openidClient: 4002, spa: 4003, api: 4004 };

async function choosePorts() {
  if (options.ports === 'fixed') return FIXED_PORTS;
  const entries = await Promise.all(Object.entries(HOSTS).map(async ([name, host]) => [name, await freePort(host)]));
  return Object.fromEntries(entries);
}

function relay(label, line) {
  // Gatehouse logs JSON at warn and above; the examples log short lines. None of them logs a token.
  process.stdout.write(`[${label}] ${line}\n`);
}

/** A password nobody else has: 24 characters of base64url (144 bits). */
const newPassword = () => randomBytes(18).toString('base64url');
const secret = () => randomBytes(32).toString('base64url');

const ports = await choosePorts();
const url = (name) => `http://${HOSTS[name]}:${ports[name]}`;
const issuer = url('gatehouse');
const dataRoot = await mkdtemp(path.join(os.tmpdir(), 'gatehouse-demo-'));
const gatehouseEnv = {
  ISSUER: issuer,
  HOST: HOSTS.gatehouse,
  PORT: String(ports.gatehouse),
  DATA_DIR: path.join(dataRoot, 'data'),
  KEYS_DIR: path.join(dataRoot, 'keys'),
  LOG_LEVEL: 'warn',
};
const running = [];
let stopping = false;

async function shutdown(exitCode) {
  if (stopping) return;
  stopping = true;
  await Promise.all(running.map((child) => child.stop()));
  await rm(dataRoot, { recursive: true, force: true });
  process.exit(exitCode);
}
process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));

function start(label, script, env, readyLine, readyCount = 1) {
  const child = startProcess({ root, label, script, env, readyLine, readyCount, relay });
  running.push(child);
  // One application gone means the demo no longer shows what it promises: stop the rest. (`exited` never rejects.)
  void child.exited.then((code) => {
    if (stopping) return;
    console.error(`demo: ${label} stopped unexpectedly (${code}); stopping the demo`);
    void shutdown(1);
  });
  return child;
}

/** The demo API (examples/spa/api.js): its identifier at Gatehouse is the `aud` of its tokens (RFC 8707). */
const DEMO_API = { name: 'Demo API', scope: 'demo:read', description: 'Read who you are' };

async function registerClients() {
  const server = (name) => ({ redirect: `${url(name)}/callback`, signedOut: `${url(name)}/signed-out`, backchannel: `${url(name)}/backchannel-logout` });
  const apiIdentifier = `${url('api')}/api`;
  await runIdp(root, ['api', 'create', '--name', DEMO_API.name, '--identifier', apiIdentifier, '--scope', `${DEMO_API.scope}=${DEMO_API.description}`], gatehouseEnv);
  const confidential = (name, label) =>
    runIdp(
      root,
      ['client', 'create', '--name', label, '--redirect-uri', server(name).redirect, '--post-logout-redirect-uri', server(name).signedOut, '--backchannel-logout-uri', server(name).backchannel],
      gatehouseEnv,
    );
  const app1 = await confidential('express', 'Example app 1 (express-openid-connect)');
  const app2 = await confidential('openidClient', 'Example app 2 (openid-client)');
  const spa = await runIdp(
    root,
    [
      'client',
      'create',
      '--public',
      '--name',
      'Example SPA (oidc-client-ts)',
      '--redirect-uri',
      `${url('spa')}/`,
      '--post-logout-redirect-uri',
      `${url('spa')}/?signed-out`,
      '--api',
      apiIdentifier,
    ],
    gatehouseEnv,
  );
  // examples/device-cli: a command-line tool, signed in by the device flow (RFC 8628), calling the same API.
  const deviceCli = await runIdp(root, ['client', 'create', '--device', '--public', '--name', 'Example device CLI (openid-client)', '--api', apiIdentifier], gatehouseEnv);
  return { app1, app2, spa, deviceCli, apiIdentifier };
}

async function main() {
  const admin = { email: 'admin@example.com', name: 'Demo Admin', password: newPassword() };
  const user = { email: 'ada@example.com', name: 'Ada Lovelace', password: newPassword() };
  // The tool creates the store on first use; Gatehouse then starts on it and makes its signing key.
  await runIdp(root, ['user', 'create', '--email', admin.email, '--name', admin.name, '--admin', '--password-stdin'], gatehouseEnv, admin.password);
  await runIdp(root, ['user', 'create', '--email', user.email, '--name', user.name, '--password-stdin'], gatehouseEnv, user.password);
  const clients = await registerClients();

  start('gatehouse', 'dist/gatehouse.mjs', gatehouseEnv);
  await waitForOk(`${issuer}/readyz`);

  const listening = /^listening on /;
  const apps = [
    start(
      'app1',
      'examples/express-app/server.js',
      {
        ISSUER: issuer,
        HOST: HOSTS.express,
        PORT: String(ports.express),
        CLIENT_ID: clients.app1.client_id,
        CLIENT_SECRET: clients.app1.client_secret,
        SESSION_SECRET: secret(),
      },
      listening,
    ),
    start(
      'app2',
      'examples/openid-client-app/server.js',
      {
        ISSUER: issuer,
        HOST: HOSTS.openidClient,
        PORT: String(ports.openidClient),
        CLIENT_ID: clients.app2.client_id,
        CLIENT_SECRET: clients.app2.client_secret,
        SESSION_SECRET: secret(),
      },
      listening,
    ),
    start(
      'spa',
      'examples/spa/server.js',
      {
        ISSUER: issuer,
        HOST: HOSTS.spa,
        PORT: String(ports.spa),
        API_HOST: HOSTS.api,
        API_PORT: String(ports.api),
        API_IDENTIFIER: clients.apiIdentifier,
        CLIENT_ID: clients.spa.client_id,
      },
      listening,
      2,
    ),
  ];
  await Promise.all(apps.map((app) => app.ready));

  const summary = {
    issuer,
    admin: { email: admin.email, password: admin.password, url: `${issuer}/admin` },
    user,
    apps: { express: `${url('express')}/`, openidClient: `${url('openidClient')}/`, spa: `${url('spa')}/`, api: `${url('api')}/api/me` },
    api: { url: url('api'), identifier: clients.apiIdentifier, scope: DEMO_API.scope },
    clientIds: { express: clients.app1.client_id, openidClient: clients.app2.client_id, spa: clients.spa.client_id, deviceCli: clients.deviceCli.client_id },
    dataDir: dataRoot,
  };
  const deviceCliCommand = `ISSUER=${issuer} CLIENT_ID=${summary.clientIds.deviceCli} API_URL=${summary.api.url} node examples/device-cli/cli.js`;
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ demo: summary })}\n`);
    return;
  }
  process.stdout.write(
    [
      '',
      `Gatehouse demo is running (issuer ${issuer}). Open, in one browser:`,
      `  app 1, express-openid-connect   ${summary.apps.express}`,
      `  app 2, openid-client            ${summary.apps.openidClient}`,
      `  single-page app, oidc-client-ts ${summary.apps.spa}   (its API: ${summary.apps.api}, for tokens with aud ${summary.api.identifier})`,
      '',
      'The device flow from a terminal (sign in at the address it prints, then it calls the same API):',
      `  ${deviceCliCommand}`,
      '',
      `Sign in as ${user.email} with the password ${user.password}`,
      `Admin screens: ${summary.admin.url} as ${admin.email} with the password ${admin.password}`,
      `Data (deleted when the demo stops): ${dataRoot}`,
      'Ctrl-C stops everything.',
      '',
    ].join('\n'),
  );
}

main().catch((error) => {
  console.error(`demo: ${error.message}`);
  void shutdown(1);
});
