// The browser suites fail, with the command that fixes it, when Chromium is missing: they never pass silently.
import { describe, expect, it } from 'vitest';
import { CHROMIUM, chromiumMissing } from '../helpers/chromium.js';

describe('the browser suites without Chromium', () => {
  it('refuse to run and say how to install Chromium when the executable is missing', () => {
    const message = chromiumMissing('/nonexistent/chromium');
    expect(message).toContain('/nonexistent/chromium');
    expect(message).toContain('apt-get install -y chromium');
  });

  it("find Debian's Chromium on a machine prepared like CI", () => {
    expect(chromiumMissing(CHROMIUM)).toBeNull();
  });
});
