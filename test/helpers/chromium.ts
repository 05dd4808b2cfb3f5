// Headless Chromium for the browser suites: Debian's /usr/bin/chromium through playwright-core, with the flags
// this machine needs. launch() gives every run a fresh, temporary user-data-dir of its own.
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
