// Headless Chromium for the browser suites: Debian's /usr/bin/chromium through playwright-core, with the flags
// this machine needs. launch() gives every run a fresh, temporary user-data-dir of its own.
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

/** Why the browser suites cannot run here, or null: a missing browser fails them, never skips them. */
export function chromiumMissing(executable = CHROMIUM): string | null {
  if (existsSync(executable)) return null;
  return `The browser tests need Chromium at ${executable}. Install it with: sudo apt-get update && sudo apt-get install -y chromium (README, Tests).`;
}

export function launchChromium(): Promise<Browser> {
  const missing = chromiumMissing();
  if (missing) throw new Error(missing);
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
