// Typing device codes at /device is throttled (RFC 8628 §5.1; issue 22; THROTTLE_RULES.deviceCode*): every wrong
// code counts, 10 per browser in 15 minutes, 50 per person and per address an hour. Past a limit the answer is 429
// with Retry-After and nothing is looked up, so even the right code waits for the window to end; clearing the
// browser cookie does not buy a new budget beyond the person's and the address's. The 2.6 × 10^10 codes cannot be
// searched from one place. An app of its own: the address counter is shared by every request from 127.0.0.1.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { THROTTLE_RULES } from '../../src/auth/throttle.js';
import { drawUserCode, formatUserCode } from '../../src/oidc/user-code.js';
import type { UserRecord } from '../../src/store/records.js';
import { Browser } from '../helpers/browser.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { addUser } from '../helpers/oidc.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { addDeviceClient, enterCode, signInAtDevice, startDevice, stored, type DeviceClient, type DeviceStart } from './device-helpers.js';

describe('the device code throttle', () => {
  const clock = new FakeClock();
  let app: RunningApp;
  let origin: string;
  let tv: DeviceClient;
  let ada: UserRecord;

  /** A well-formed code that is not this authorization's. */
  const wrongCode = (start: DeviceStart) => {
    let code = formatUserCode(drawUserCode());
    while (code === start.userCode) code = formatUserCode(drawUserCode());
    return code;
  };
  const throttledEvents = async () => (await app.store.audit.list({ limit: 100, filter: { type: 'device.code_throttled' } })).filter((event) => event.type === 'device.code_throttled');

  beforeAll(async () => {
    // Codes that outlive the hour the test spends.
    app = await startApp({ clock, env: { DEVICE_CODE_TTL: '3600' } });
    origin = new URL(app.url).origin;
    tv = await addDeviceClient(app);
    ada = await addUser(app, 'ada@example.com');
  });
  afterAll(() => app?.stop());

  it('refuses the right code too, with 429 and Retry-After, after 10 wrong ones in a browser, until the window has passed', async () => {
    const browser = new Browser();
    await signInAtDevice(app, ada.email, browser);
    const start = await startDevice(app, tv);
    const limit = THROTTLE_RULES.deviceCodeBrowser.limit;
    for (let attempt = 1; attempt <= limit; attempt += 1) {
      // Malformed input counts like a wrong code.
      const answer = await enterCode(app, browser, attempt === 1 ? 'not a code' : wrongCode(start));
      expect(answer.status, `attempt ${attempt}`).toBe(400);
    }
    const refused = await enterCode(app, browser, start.userCode);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBe(THROTTLE_RULES.deviceCodeBrowser.windowMs / 1000);
    expect(refused.body).toContain('Too many wrong codes were entered in this browser. Try again in 15 minutes.');
    expect(refused.body).not.toContain('name="decision"');
    // One audit event for the block, none for the refusals after it.
    await enterCode(app, browser, start.userCode);
    expect(await throttledEvents()).toHaveLength(1);
    expect((await throttledEvents())[0]).toMatchObject({ actor: ada.id, subject: ada.id, outcome: 'failure', details: { by: 'browser', retry_after: 900 } });
    expect((await stored(app, start)).status).toBe('pending');

    clock.advance(THROTTLE_RULES.deviceCodeBrowser.windowMs - 1_000);
    expect((await enterCode(app, browser, start.userCode)).status).toBe(429);
    clock.advance(1_000);
    const approval = await enterCode(app, browser, start.userCode);
    expect(approval.status, approval.body).toBe(200);
    expect(approval.body).toContain('name="decision"');
  });

  it('holds the person and the address to 50 wrong codes an hour, whatever browser cookie they present', async () => {
    clock.advance(60 * 60 * 1000);
    const browser = new Browser();
    await signInAtDevice(app, ada.email, browser);
    const start = await startDevice(app, tv);
    const browserLimit = THROTTLE_RULES.deviceCodeBrowser.limit;
    const personLimit = THROTTLE_RULES.deviceCodePerson.limit;
    expect(THROTTLE_RULES.deviceCodeAddress.limit).toBe(personLimit);
    let wrong = 0;
    while (wrong < personLimit) {
      // A fresh browser cookie each time the browser's budget is spent (the session stays).
      if (wrong % browserLimit === 0) browser.setCookie(origin, 'gatehouse_browser', `cleared-${wrong}`);
      const answer = await enterCode(app, browser, wrongCode(start));
      expect(answer.status, `wrong code ${wrong + 1}`).toBe(400);
      wrong += 1;
    }
    browser.setCookie(origin, 'gatehouse_browser', 'cleared-again');
    const refused = await enterCode(app, browser, start.userCode);
    expect(refused.status).toBe(429);
    expect(refused.body).toMatch(/Too many wrong codes were entered (for your account|from your network)\. Try again in 1 hour\./);
    // Another person from the same address: the address's budget is spent too.
    const grace = await addUser(app, 'grace@example.com');
    const other = new Browser();
    await signInAtDevice(app, grace.email, other);
    const elsewhere = await enterCode(app, other, start.userCode);
    expect(elsewhere.status).toBe(429);
    expect(elsewhere.body).toContain('Too many wrong codes were entered from your network.');
    expect((await stored(app, start)).status).toBe('pending');
  });
});
