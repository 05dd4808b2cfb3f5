// examples/device-cli against `npm run demo`: the command-line tool runs as its own process, starts the device
// authorization grant (RFC 8628) and prints where to go and the code; a person opens that page in headless Chromium,
// signs in, types the code and allows (or denies); the tool then receives a token for the demo API (RFC 8707
// `resource`: `aud` is the API's identifier) and calls the API, which accepts it. Every process is stopped.
// Screenshots go to test/artifacts/demo/ (git-ignored). The demo is SQLite by design: this runs once.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import readline from 'node:readline';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/paths.js';
import { AccessibilityAudit } from '../helpers/axe.js';
import { launchChromium } from '../helpers/chromium.js';
import { startDemo, type RunningDemo } from '../helpers/demo.js';

const ARTIFACTS = path.join(packageRoot, 'test/artifacts/demo');
const CLI = path.join(packageRoot, 'examples/device-cli/cli.js');
const NAVIGATION = { timeout: 15_000 };

interface RunningCli {
  child: ChildProcess;
  lines: string[];
  stderr: () => string;
  exited: Promise<number | null>;
  /** The first line matching `pattern`, once the tool printed it. */
  line(pattern: RegExp): Promise<RegExpExecArray>;
}

describe('examples/device-cli: a command-line tool signed in with the device flow calls the demo API', () => {
  let demo: RunningDemo;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  /** Every tool started, so that none outlives the suite (a failed test leaves one polling). */
  const started: { child: ChildProcess; exited: Promise<number | null> }[] = [];

  function startCli(env: Record<string, string>): RunningCli {
    const child = spawn(process.execPath, [CLI], { cwd: packageRoot, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env } });
    const lines: string[] = [];
    let stderr = '';
    readline.createInterface({ input: child.stdout! }).on('line', (line) => lines.push(line));
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    started.push({ child, exited });
    const line = async (pattern: RegExp) => {
      await expect.poll(() => lines.some((text) => pattern.test(text)), { timeout: 20_000, message: `${pattern} in ${JSON.stringify(lines)} ${stderr}` }).toBe(true);
      return pattern.exec(lines.find((text) => pattern.test(text)) ?? '')!;
    };
    return { child, lines, stderr: () => stderr, exited, line };
  }

  const cliEnv = () => ({ ISSUER: demo.summary.issuer, CLIENT_ID: demo.summary.clientIds.deviceCli, API_URL: demo.summary.api.url, API_IDENTIFIER: demo.summary.api.identifier });
  const shot = (name: string) => page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });

  beforeAll(async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    browser = await launchChromium();
    demo = await startDemo();
    context = await browser.newContext();
    page = await context.newPage();
  }, 120_000);

  afterAll(async () => {
    for (const { child } of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await Promise.all(started.map(({ exited }) => exited));
    await browser?.close();
    if (demo) expect(await demo.stop()).toBe(0);
  }, 30_000);

  it('prints the verification page and the code; the person signs in there, types the code, allows, and the tool gets a token for the API and prints its answer', async () => {
    const cli = startCli(cliEnv());
    const [, verificationUri, userCode] = await cli.line(/^To sign in, open (\S+) and enter the code ([B-DF-HJ-NP-TV-XZ]{4}-[B-DF-HJ-NP-TV-XZ]{4})$/);
    expect(verificationUri).toBe(`${demo.summary.issuer}/device`);
    expect(await cli.line(/^Or open (\S+)$/)).toContain(`${demo.summary.issuer}/device?user_code=${userCode}`);

    // The person, on another device: the page asks them to sign in first, then for the code.
    await page.goto(verificationUri!);
    await page.waitForURL((url) => url.href.startsWith(`${demo.summary.issuer}/login`), NAVIGATION);
    const audit = new AccessibilityAudit(demo.summary.issuer);
    await audit.check(page, 'login page');
    await page.getByLabel('Email').fill(demo.summary.user.email);
    await page.getByLabel('Password').fill(demo.summary.user.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${demo.summary.issuer}/device**`, NAVIGATION);
    // Typed as people type it: lower case, no dash.
    await page.getByLabel('Code').fill(userCode!.replace('-', '').toLowerCase());
    await shot('10-device-code');
    await audit.check(page, 'device code page');
    await page.getByRole('button', { name: 'Continue' }).click();
    await expect.poll(() => page.getByTestId('device-client').textContent(), NAVIGATION).toBe('Example device CLI (openid-client)');
    expect(await page.getByTestId('device-user-code').textContent()).toBe(userCode);
    const asks = await page.getByTestId('device-asks').textContent();
    expect(asks).toContain('Demo API');
    expect(asks).toContain('Read who you are');
    await shot('11-device-approve');
    await audit.check(page, 'device approval page');
    await page.getByRole('button', { name: 'Allow' }).click();
    await expect.poll(() => page.getByTestId('device-outcome').textContent(), NAVIGATION).toMatch(/^You allowed Example device CLI/);
    await audit.check(page, 'device connected page');
    audit.expectNone();

    // The tool polls every 5 s (the interval Gatehouse gives): the approval reaches it at its next poll.
    expect(await cli.exited).toBe(0);
    expect(cli.lines).toContain('Signed in as Ada Lovelace');
    const answer = await cli.line(/^API answered 200: (.+)$/);
    const body = JSON.parse(answer[1]!) as { sub: string; client_id: string; scope: string };
    expect(body).toEqual({ sub: expect.any(String), client_id: demo.summary.clientIds.deviceCli, scope: demo.summary.api.scope });
    expect(body.sub).not.toBe(demo.summary.clientIds.deviceCli);
    expect(cli.stderr()).toBe('');
  }, 90_000);

  it('stops with "denied" when the person, already signed in, opens the complete link and denies', async () => {
    const cli = startCli(cliEnv());
    const [, complete] = await cli.line(/^Or open (\S+)$/);
    const [, , userCode] = await cli.line(/^To sign in, open (\S+) and enter the code (\S+)$/);
    await page.goto(complete!);
    // The code is filled in from the link, never approved by it: the person still continues and decides.
    expect(await page.getByLabel('Code').inputValue()).toBe(userCode);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('button', { name: 'Deny' }).click();
    await expect.poll(() => page.getByTestId('device-outcome').textContent(), NAVIGATION).toMatch(/^You denied Example device CLI/);
    expect(await cli.exited).toBe(1);
    expect(cli.stderr().trim()).toBe('The request was denied.');
    expect(cli.lines.some((line) => line.startsWith('API answered'))).toBe(false);
  }, 90_000);

  it('refuses to start without its configuration, with a clear message and exit code 2', async () => {
    const cli = startCli({ ISSUER: demo.summary.issuer });
    expect(await cli.exited).toBe(2);
    expect(cli.stderr()).toMatch(/^CLIENT_ID is required/);
  });
});
