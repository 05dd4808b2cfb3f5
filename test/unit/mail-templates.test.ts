import { describe, expect, it } from 'vitest';
import { defaultBrand, type Brand } from '../../src/branding/brand.js';
import { localeFor } from '../../src/i18n/page-locale.js';
import { readMessages } from '../../src/i18n/catalog.js';
import { renderMail, type MailData, type MailTemplate, type RenderedMail } from '../../src/mail/templates.js';

/** Every mail in English, UTC, under Gatehouse's own brand, unless a test says otherwise. */
const ENGLISH = localeFor('en', null);
const AT = Date.UTC(2026, 0, 2, 3, 4, 5);
/** How the English mails show AT (Intl, medium date, short time, the zone named). */
const AT_TEXT = ENGLISH.dates.dateTime(AT);

function render<T extends MailTemplate>(template: T, data: Extract<MailData, { template: T }>, locale = ENGLISH, brand: Brand = defaultBrand): Promise<RenderedMail> {
  return renderMail(template, data, locale, brand);
}

const ISSUER = 'https://id.example.com';
// Long enough that quoted-printable would fold it, with characters HTML must escape in an attribute.
const LINK = 'https://id.example.com/reset-password?token=Zm9vYmFyYmF6cXV4_-0123456789abcdefghijklmnopqrstuvwxyzABCDEFG&x=1';
const HOSTILE_NAME = '<script>alert(1)</script>';

const samples: MailData[] = [
  { template: 'password-reset', name: 'Ann', issuer: ISSUER, link: LINK, minutes: 30 },
  { template: 'password-changed', name: 'Ann', issuer: ISSUER, at: AT, ip: '203.0.113.5', forgotLink: LINK },
  { template: 'email-verification', name: 'Ann', issuer: ISSUER, link: LINK, hours: 24, change: false },
  { template: 'email-verification', name: 'Ann', issuer: ISSUER, link: LINK, hours: 24, change: true },
  { template: 'email-changed', name: 'Ann', issuer: ISSUER, newEmail: 'ann.new@example.org', at: AT },
];

const lines = (text: string) => text.split(/\r?\n/);
const sampleName = (data: MailData) => `${data.template}${'change' in data ? ` (change: ${data.change})` : ''}`;

describe('every mail', () => {
  it.each(samples.map((data) => [sampleName(data), data] as const))('%s greets by name and signs with the site', async (_name, data) => {
    const mail = await render(data.template, data);
    expect(lines(mail.text)[0]).toBe('Hello Ann,');
    expect(mail.html).toContain('<p>Hello Ann,</p>');
    expect(mail.text).toContain('Gatehouse at id.example.com');
    expect(mail.html).toContain('Gatehouse at id.example.com');
  });

  it.each(samples.map((data) => [sampleName(data), data] as const))('%s says "Hello," to a person without a name', async (_name, data) => {
    const mail = await render(data.template, { ...data, name: null });
    expect(lines(mail.text)[0]).toBe('Hello,');
    expect(mail.html).toContain('<p>Hello,</p>');
  });

  it.each(samples.map((data) => [sampleName(data), data] as const))('%s escapes a hostile name in HTML and keeps the text as typed', async (_name, data) => {
    const mail = await render(data.template, { ...data, name: HOSTILE_NAME });
    expect(mail.html).toContain('Hello &lt;script&gt;alert(1)&lt;/script&gt;,');
    expect(mail.html).not.toContain('<script');
    expect(lines(mail.text)[0]).toBe(`Hello ${HOSTILE_NAME},`);
  });

  it.each(samples.map((data) => [sampleName(data), data] as const))('%s is a whole HTML document with no external resource and no script', async (_name, data) => {
    const { html, subject } = await render(data.template, data);
    expect(html.startsWith('<!DOCTYPE html>\n<html lang="en" dir="ltr">')).toBe(true);
    expect(html.trimEnd().endsWith('</html>')).toBe(true);
    expect(html).toContain('<meta charset="utf-8">');
    expect(html).toContain(`<title>${subject}</title>`);
    expect(html).not.toMatch(/<(script|img|link|iframe|object|style)\b|\bsrc=|\bstyle=|\bon\w+=/i);
  });

  it('prints a name with an apostrophe as typed in the text part', async () => {
    const mail = await render('password-reset', { template: 'password-reset', name: "Siobhán O'Brien", issuer: ISSUER, link: LINK, minutes: 30 });
    expect(lines(mail.text)[0]).toBe("Hello Siobhán O'Brien,");
    expect(mail.html).toContain('Hello Siobhán O&#39;Brien,');
  });

  it('refuses data made for another template', async () => {
    const data: MailData = { template: 'password-reset', name: null, issuer: ISSUER, link: LINK, minutes: 30 };
    // @ts-expect-error: the types refuse it too; the check catches a caller that widened them
    await expect(renderMail('email-changed', data, ENGLISH, defaultBrand)).rejects.toThrow(/email-changed.*password-reset/);
  });
});

describe('mails that carry a link', () => {
  const withLinks = samples.filter((data) => data.template !== 'email-changed');

  it.each(withLinks.map((data) => [sampleName(data), data] as const))('%s puts the link intact on a line of its own in the text part', async (_name, data) => {
    const { text } = await render(data.template, data);
    expect(lines(text)).toContain(LINK);
  });

  it.each(withLinks.map((data) => [sampleName(data), data] as const))('%s shows the link as a clickable anchor and as visible text in HTML', async (_name, data) => {
    const { html } = await render(data.template, data);
    const escaped = LINK.replace(/&/g, '&amp;');
    expect(html).toContain(`<a href="${escaped}">${escaped}</a>`);
  });
});

describe('password-reset', () => {
  it('asks to reset the password at the issuer host, for a single use within the given minutes', async () => {
    const mail = await render('password-reset', { template: 'password-reset', name: null, issuer: ISSUER, link: LINK, minutes: 30 });
    expect(mail.subject).toBe('Reset your password at id.example.com');
    expect(mail.text).toMatch(/Someone \(hopefully you\) asked to reset the password of your account at\s+id\.example\.com/);
    expect(mail.text).toMatch(/within 30 minutes;\s+it works once/);
    expect(mail.text).toContain("If it wasn't you, ignore this mail: your password stays unchanged.");
  });

  it('says "1 minute", not "1 minutes"', async () => {
    const mail = await render('password-reset', { template: 'password-reset', name: null, issuer: ISSUER, link: LINK, minutes: 1 });
    expect(mail.text).toContain('within 1 minute;');
  });
});

describe('password-changed', () => {
  const data: MailData = { template: 'password-changed', name: null, issuer: ISSUER, at: AT, ip: '203.0.113.5', forgotLink: LINK };

  it('tells when and from where the password changed, that sessions ended, and how to take the account back', async () => {
    const mail = await render('password-changed', data);
    expect(mail.subject).toBe('Your password at id.example.com was changed');
    expect(mail.text).toContain(`was changed on ${AT_TEXT} from the address 203.0.113.5.`);
    expect(mail.text).toContain('Every other session of your account was signed out.');
    expect(mail.text).toContain("If this wasn't you, reset your password now, and tell your administrator:");
    expect(mail.html).toContain('from the address 203.0.113.5.');
  });

  it('leaves the address out when it is unknown', async () => {
    const mail = await render('password-changed', { ...data, ip: null });
    expect(mail.text).toContain(`was changed on ${AT_TEXT}.`);
    expect(mail.text).not.toContain('from the address');
    expect(mail.html).not.toContain('from the address');
  });
});

describe('email-verification', () => {
  it('asks a new account to verify its address within the given hours', async () => {
    const mail = await render('email-verification', { template: 'email-verification', name: null, issuer: ISSUER, link: LINK, hours: 24, change: false });
    expect(mail.subject).toBe('Verify your email address at id.example.com');
    expect(mail.text).toContain('Please confirm that this is the email address of your account at id.example.com:');
    expect(mail.text).toContain('within 24 hours; it works once');
    expect(mail.text).not.toContain('Nothing changes');
  });

  it('asks to confirm a new address, saying nothing changes until the link is used', async () => {
    const mail = await render('email-verification', { template: 'email-verification', name: null, issuer: ISSUER, link: LINK, hours: 1, change: true });
    expect(mail.subject).toBe('Confirm your new email address at id.example.com');
    expect(mail.text).toMatch(/asked to make this the email address of your account\s+at id\.example\.com/);
    expect(mail.text).toContain('within 1 hour; it works once');
    expect(mail.text).toMatch(/Nothing changes until the link is used: until then, your account keeps its\s+current address\./);
    expect(mail.html).toContain('Nothing changes until the link is used');
  });
});

describe('email-changed', () => {
  it('tells the old address what the new one is, when it changed, and what to do if it was not the owner', async () => {
    const mail = await render('email-changed', { template: 'email-changed', name: null, issuer: ISSUER, newEmail: 'ann.new@example.org', at: AT });
    expect(mail.subject).toBe('The email address of your account at id.example.com was changed');
    expect(mail.text).toContain(`was changed on ${AT_TEXT} to:`);
    expect(lines(mail.text)).toContain('ann.new@example.org');
    expect(mail.text).toMatch(/If this wasn't you, tell your administrator now/);
    expect(mail.html).toContain('<strong>ann.new@example.org</strong>');
  });

  it('includes the port of an issuer that has one in the site name', async () => {
    const mail = await render('email-changed', { template: 'email-changed', name: null, issuer: 'http://localhost:3000/idp', newEmail: 'a@b.example', at: AT });
    expect(mail.subject).toBe('The email address of your account at localhost:3000 was changed');
    expect(mail.text).toContain('Gatehouse at localhost:3000');
  });
});

/** Every template, each variant once: what the language tests below render. */
const everyTemplate: MailData[] = [
  ...samples,
  { template: 'second-factor-changed', name: 'Ann', issuer: ISSUER, change: 'totp-on', at: AT, ip: '203.0.113.5', accountLink: LINK },
  { template: 'second-factor-changed', name: 'Ann', issuer: ISSUER, change: { passkeyAdded: 'Work laptop' }, at: AT, ip: null, accountLink: LINK },
  { template: 'password-managed', name: 'Ann', issuer: ISSUER, provider: 'Corp Directory', resetUrl: LINK },
  { template: 'password-managed', name: 'Ann', issuer: ISSUER, provider: 'Corp Directory', resetUrl: null },
];

const variantName = (data: MailData) => `${sampleName(data)}${'resetUrl' in data ? ` (reset page: ${data.resetUrl !== null})` : ''}${'ip' in data ? ` (address: ${data.ip !== null})` : ''}`;

/** The fixed words of every English mail text (the parts between placeholders), long enough to be telling. */
function englishFragments(): string[] {
  const texts: string[] = [];
  const walk = (value: unknown): void => {
    if (typeof value === 'string') texts.push(value);
    else if (value && typeof value === 'object') Object.values(value).forEach(walk);
  };
  walk(readMessages('en').mail);
  return texts
    .flatMap((text) => text.split(/\{\{[^}]+\}\}/))
    .map((fragment) => fragment.trim())
    .filter((fragment) => fragment.length >= 12);
}

describe.each([
  ['de', 'ltr', localeFor('de', 'Europe/Berlin')],
  ['ar', 'rtl', localeFor('ar', null)],
] as const)('every template in %s', (language, dir, locale) => {
  const fragments = englishFragments();

  it.each(everyTemplate.map((data) => [variantName(data), data] as const))('%s: translated subject, text and HTML, no English left', async (_name, data) => {
    const english = await render(data.template, data);
    const mail = await render(data.template, data, locale);
    expect(mail.subject).not.toBe(english.subject);
    expect(mail.subject.trim()).not.toBe('');
    expect(mail.html.startsWith(`<!DOCTYPE html>\n<html lang="${language}" dir="${dir}">`)).toBe(true);
    expect(mail.html).toContain(`<title>${mail.subject}</title>`);
    for (const part of [mail.subject, mail.text, mail.html]) {
      // No key printed instead of its text, nothing undefined, and none of the English mail's sentences.
      expect(part).not.toMatch(/\bmail\.[a-z]|undefined|\[object Object\]|\{\{/);
      for (const fragment of fragments) expect(part, fragment).not.toContain(fragment);
    }
    // The greeting in the mail's language, the links intact.
    expect(lines(mail.text)[0]).toBe(locale.t('mail.greeting', { name: 'Ann' }));
    if ('link' in data) expect(lines(mail.text)).toContain(LINK);
    // The site signs the mail: the brand's name and the issuer's host.
    expect(mail.text).toContain(locale.t('mail.site', { brand: 'Gatehouse', host: 'id.example.com' }));
  });
});

describe('the recipient’s language and time zone', () => {
  it('shows times in the recipient’s time zone, in their language’s format, naming the zone', async () => {
    const data: MailData = { template: 'password-changed', name: null, issuer: ISSUER, at: AT, ip: null, forgotLink: LINK };
    const berlin = await render('password-changed', data, localeFor('de', 'Europe/Berlin'));
    // 03:04:05 UTC is 04:04 in Berlin in January (CET).
    expect(berlin.text).toContain('02.01.2026, 04:04 MEZ');
    expect(berlin.subject).toBe('Ihr Passwort für id.example.com wurde geändert');
    const tokyo = await render('password-changed', data, localeFor('ja', 'Asia/Tokyo'));
    expect(tokyo.text).toContain('2026/01/02 12:04');
    // Without a saved zone, UTC, said so.
    expect((await render('password-changed', data)).text).toContain('Jan 2, 2026, 3:04 AM UTC');
  });

  it('words how long a link works with the plural rules of the language', async () => {
    const base = { template: 'password-reset', name: null, issuer: ISSUER, link: LINK } as const;
    const arabic = localeFor('ar', null);
    expect((await render('password-reset', { ...base, minutes: 1 }, arabic)).text).toContain('دقيقة واحدة');
    expect((await render('password-reset', { ...base, minutes: 2 }, arabic)).text).toContain('دقيقتين');
    expect((await render('password-reset', { ...base, minutes: 5 }, arabic)).text).toContain('5 دقائق');
    expect((await render('password-reset', { ...base, minutes: 30 }, localeFor('de', null))).text).toContain('innerhalb von 30 Minuten');
    expect((await render('password-reset', { ...base, minutes: 1 }, localeFor('fr', null))).text).toContain('1 minute ;');
    expect((await render('email-verification', { ...base, template: 'email-verification', hours: 24, change: false }, localeFor('ja', null))).text).toContain('24 時間以内');
  });

  it('tells each second-factor change in the mail’s language', async () => {
    const german = localeFor('de', null);
    const base = { template: 'second-factor-changed', name: null, issuer: ISSUER, at: AT, ip: null, accountLink: LINK } as const;
    const said = async (change: Extract<MailData, { template: 'second-factor-changed' }>['change'], locale = german) =>
      lines((await render('second-factor-changed', { ...base, change }, locale)).text)[2];
    expect(await said('totp-on')).toBe(german.t('mail.secondFactorChanged.totpOn'));
    expect(await said('totp-off')).toBe(german.t('mail.secondFactorChanged.totpOff'));
    expect(await said('recovery-codes')).toBe(german.t('mail.secondFactorChanged.recoveryCodes'));
    expect(await said('passkey-removed')).toBe(german.t('mail.secondFactorChanged.passkeyRemoved'));
    expect(await said('factors-reset')).toBe(german.t('mail.secondFactorChanged.factorsReset'));
    expect(await said({ passkeyAdded: 'Büro <b>' })).toBe('Ein Passkey namens „Büro <b>“ wurde hinzugefügt; mit ihm kann man sich ohne Passwort bei Ihrem Konto anmelden.');
    // English says the same sentences the mails said before issue 25.
    expect(await said('totp-off', ENGLISH)).toBe('Two-step verification was turned off: signing in no longer asks for a code from an authenticator app.');
    const html = (await render('second-factor-changed', { ...base, change: { passkeyAdded: 'Büro <b>' } }, german)).html;
    expect(html).toContain('„Büro &lt;b&gt;“');
  });
});

describe('the brand', () => {
  const brand: Brand = { name: 'Acme Login', logoUrl: '/idp/branding/logo?v=3', faviconUrl: null, themeUrl: null, color: '#0b5fff' };
  const issuer = 'https://id.acme.example/idp';

  it.each(everyTemplate.map((data) => [variantName(data), data] as const))('%s is signed with the brand name and shows its logo and colour', async (_name, data) => {
    const mail = await render(data.template, { ...data, issuer }, ENGLISH, brand);
    expect(mail.text).toContain('Acme Login at id.acme.example');
    expect(mail.html).toContain('Acme Login at id.acme.example');
    expect(mail.text).not.toContain('Gatehouse');
    expect(mail.html).not.toContain('Gatehouse');
    // The logo as an absolute URL on the issuer's origin (logoUrl already holds the base path), its name as text.
    expect(mail.html).toContain('<img src="https://id.acme.example/idp/branding/logo?v=3" alt="Acme Login" height="40">');
    for (const href of mail.html.matchAll(/<a href="[^"]*"([^>]*)>/g)) expect(href[1]).toBe(' style="color: #0b5fff"');
  });

  it('shows neither logo nor colour when the brand has none', async () => {
    const mail = await render('password-reset', { template: 'password-reset', name: null, issuer, link: LINK, minutes: 30 }, localeFor('fr', null), { ...brand, logoUrl: null, color: null });
    expect(mail.html).not.toMatch(/<img|style=/);
    expect(mail.text).toContain('Acme Login (id.acme.example)');
  });
});
