import { describe, expect, it } from 'vitest';
import { renderMail, type MailData } from '../../src/mail/templates.js';

const ISSUER = 'https://id.example.com';
// Long enough that quoted-printable would fold it, with characters HTML must escape in an attribute.
const LINK = 'https://id.example.com/reset-password?token=Zm9vYmFyYmF6cXV4_-0123456789abcdefghijklmnopqrstuvwxyzABCDEFG&x=1';
const HOSTILE_NAME = '<script>alert(1)</script>';

const samples: MailData[] = [
  { template: 'password-reset', name: 'Ann', issuer: ISSUER, link: LINK, minutes: 30 },
  { template: 'password-changed', name: 'Ann', issuer: ISSUER, at: '2026-01-02 03:04:05 UTC', ip: '203.0.113.5', forgotLink: LINK },
  { template: 'email-verification', name: 'Ann', issuer: ISSUER, link: LINK, hours: 24, change: false },
  { template: 'email-verification', name: 'Ann', issuer: ISSUER, link: LINK, hours: 24, change: true },
  { template: 'email-changed', name: 'Ann', issuer: ISSUER, newEmail: 'ann.new@example.org', at: '2026-01-02 03:04:05 UTC' },
];

const lines = (text: string) => text.split(/\r?\n/);
const sampleName = (data: MailData) => `${data.template}${'change' in data ? ` (change: ${data.change})` : ''}`;

describe('every mail', () => {
  it.each(samples.map((data) => [sampleName(data), data] as const))('%s greets by name and signs with the site', async (_name, data) => {
    const mail = await renderMail(data.template, data);
    expect(lines(mail.text)[0]).toBe('Hello Ann,');
    expect(mail.html).toContain('<p>Hello Ann,</p>');
    expect(mail.text).toContain('Gatehouse at id.example.com');
    expect(mail.html).toContain('Gatehouse at id.example.com');
  });

  it.each(samples.map((data) => [sampleName(data), data] as const))('%s says "Hello," to a person without a name', async (_name, data) => {
    const mail = await renderMail(data.template, { ...data, name: null });
    expect(lines(mail.text)[0]).toBe('Hello,');
    expect(mail.html).toContain('<p>Hello,</p>');
  });

  it.each(samples.map((data) => [sampleName(data), data] as const))('%s escapes a hostile name in HTML and keeps the text as typed', async (_name, data) => {
    const mail = await renderMail(data.template, { ...data, name: HOSTILE_NAME });
    expect(mail.html).toContain('Hello &lt;script&gt;alert(1)&lt;/script&gt;,');
    expect(mail.html).not.toContain('<script');
    expect(lines(mail.text)[0]).toBe(`Hello ${HOSTILE_NAME},`);
  });

  it.each(samples.map((data) => [sampleName(data), data] as const))('%s is a whole HTML document with no external resource and no script', async (_name, data) => {
    const { html, subject } = await renderMail(data.template, data);
    expect(html.startsWith('<!DOCTYPE html>\n<html lang="en">')).toBe(true);
    expect(html.trimEnd().endsWith('</html>')).toBe(true);
    expect(html).toContain('<meta charset="utf-8">');
    expect(html).toContain(`<title>${subject}</title>`);
    expect(html).not.toMatch(/<(script|img|link|iframe|object|style)\b|\bsrc=|\bstyle=|\bon\w+=/i);
  });

  it('prints a name with an apostrophe as typed in the text part', async () => {
    const mail = await renderMail('password-reset', { template: 'password-reset', name: "Siobhán O'Brien", issuer: ISSUER, link: LINK, minutes: 30 });
    expect(lines(mail.text)[0]).toBe("Hello Siobhán O'Brien,");
    expect(mail.html).toContain('Hello Siobhán O&#39;Brien,');
  });

  it('refuses data made for another template', async () => {
    const data: MailData = { template: 'password-reset', name: null, issuer: ISSUER, link: LINK, minutes: 30 };
    // @ts-expect-error: the types refuse it too; the check catches a caller that widened them
    await expect(renderMail('email-changed', data)).rejects.toThrow(/email-changed.*password-reset/);
  });
});

describe('mails that carry a link', () => {
  const withLinks = samples.filter((data) => data.template !== 'email-changed');

  it.each(withLinks.map((data) => [sampleName(data), data] as const))('%s puts the link intact on a line of its own in the text part', async (_name, data) => {
    const { text } = await renderMail(data.template, data);
    expect(lines(text)).toContain(LINK);
  });

  it.each(withLinks.map((data) => [sampleName(data), data] as const))('%s shows the link as a clickable anchor and as visible text in HTML', async (_name, data) => {
    const { html } = await renderMail(data.template, data);
    const escaped = LINK.replace(/&/g, '&amp;');
    expect(html).toContain(`<a href="${escaped}">${escaped}</a>`);
  });
});

describe('password-reset', () => {
  it('asks to reset the password at the issuer host, for a single use within the given minutes', async () => {
    const mail = await renderMail('password-reset', { template: 'password-reset', name: null, issuer: ISSUER, link: LINK, minutes: 30 });
    expect(mail.subject).toBe('Reset your password at id.example.com');
    expect(mail.text).toMatch(/Someone \(hopefully you\) asked to reset the password of your account at\s+id\.example\.com/);
    expect(mail.text).toMatch(/within 30 minutes;\s+it works once/);
    expect(mail.text).toContain("If it wasn't you, ignore this mail: your password stays unchanged.");
  });

  it('says "1 minute", not "1 minutes"', async () => {
    const mail = await renderMail('password-reset', { template: 'password-reset', name: null, issuer: ISSUER, link: LINK, minutes: 1 });
    expect(mail.text).toContain('within 1 minute;');
  });
});

describe('password-changed', () => {
  const data: MailData = { template: 'password-changed', name: null, issuer: ISSUER, at: '2026-01-02 03:04:05 UTC', ip: '203.0.113.5', forgotLink: LINK };

  it('tells when and from where the password changed, that sessions ended, and how to take the account back', async () => {
    const mail = await renderMail('password-changed', data);
    expect(mail.subject).toBe('Your password at id.example.com was changed');
    expect(mail.text).toMatch(/was changed\s+on 2026-01-02 03:04:05 UTC from the address 203\.0\.113\.5\./);
    expect(mail.text).toContain('Every other session of your account was signed out.');
    expect(mail.text).toContain("If this wasn't you, reset your password now, and tell your administrator:");
    expect(mail.html).toContain('from the address 203.0.113.5.');
  });

  it('leaves the address out when it is unknown', async () => {
    const mail = await renderMail('password-changed', { ...data, ip: null });
    expect(mail.text).toMatch(/was changed\s+on 2026-01-02 03:04:05 UTC\./);
    expect(mail.text).not.toContain('from the address');
    expect(mail.html).not.toContain('from the address');
  });
});

describe('email-verification', () => {
  it('asks a new account to verify its address within the given hours', async () => {
    const mail = await renderMail('email-verification', { template: 'email-verification', name: null, issuer: ISSUER, link: LINK, hours: 24, change: false });
    expect(mail.subject).toBe('Verify your email address at id.example.com');
    expect(mail.text).toContain('Please confirm that this is the email address of your account at id.example.com:');
    expect(mail.text).toContain('within 24 hours; it works once');
    expect(mail.text).not.toContain('Nothing changes');
  });

  it('asks to confirm a new address, saying nothing changes until the link is used', async () => {
    const mail = await renderMail('email-verification', { template: 'email-verification', name: null, issuer: ISSUER, link: LINK, hours: 1, change: true });
    expect(mail.subject).toBe('Confirm your new email address at id.example.com');
    expect(mail.text).toMatch(/asked to make this the email address of your account\s+at id\.example\.com/);
    expect(mail.text).toContain('within 1 hour; it works once');
    expect(mail.text).toMatch(/Nothing changes until the link is used: until then, your account keeps its\s+current address\./);
    expect(mail.html).toContain('Nothing changes until the link is used');
  });
});

describe('email-changed', () => {
  it('tells the old address what the new one is, when it changed, and what to do if it was not the owner', async () => {
    const mail = await renderMail('email-changed', { template: 'email-changed', name: null, issuer: ISSUER, newEmail: 'ann.new@example.org', at: '2026-01-02 03:04:05 UTC' });
    expect(mail.subject).toBe('The email address of your account at id.example.com was changed');
    expect(mail.text).toMatch(/was changed\s+on 2026-01-02 03:04:05 UTC to:/);
    expect(lines(mail.text)).toContain('ann.new@example.org');
    expect(mail.text).toMatch(/If this wasn't you, tell your administrator now/);
    expect(mail.html).toContain('<strong>ann.new@example.org</strong>');
  });

  it('includes the port of an issuer that has one in the site name', async () => {
    const mail = await renderMail('email-changed', { template: 'email-changed', name: null, issuer: 'http://localhost:3000/idp', newEmail: 'a@b.example', at: 'now' });
    expect(mail.subject).toBe('The email address of your account at localhost:3000 was changed');
    expect(mail.text).toContain('Gatehouse at localhost:3000');
  });
});
