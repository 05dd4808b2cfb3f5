// The checks of an LDAP directory's settings (issue 23): its URL and StartTLS, the DNs and the user filter, the CA
// certificates it must chain to and the attributes read from its entries. Like provider-input.ts, of which they are
// a part, each refusal is a ValidationError naming the field in the words of ProviderInput.
import { X509Certificate } from 'node:crypto';
import type { LdapSettings } from '../federation/provider-settings.js';
import { checkText, MAX_DN, MAX_URL, refuse } from './provider-input.js';

const MAX_CA = 65536;
/** RFC 4512 §2.5 attribute description: a descriptor (keystring) or a numeric OID. */
const LDAP_ATTRIBUTE = /^(?:[A-Za-z][A-Za-z0-9-]{0,99}|\d+(?:\.\d+)+)$/;

/** `ldap://host[:port]` or `ldaps://host[:port]`, nothing else (no DN, no query: RFC 4516's extras are settings here). */
export function checkLdapUrl(value: string): string {
  const text = value.trim();
  const problem = (message: string) => refuse('url', `url ${JSON.stringify(text.slice(0, 200))} ${message}`);
  if (!/^ldaps?:\/\//i.test(text)) throw problem('must begin with ldap:// (StartTLS) or ldaps://');
  if (text.length > MAX_URL || /[\s\u0000-\u001f\u007f]/.test(text)) throw problem('is too long or contains whitespace');
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw problem('is not a valid URL');
  }
  if (!url.hostname) throw problem('names no host');
  if (url.username || url.password) throw problem('must not contain credentials');
  if ((url.pathname !== '' && url.pathname !== '/') || url.search || text.includes('#'))
    throw problem('must be only ldap://host:port or ldaps://host:port (the base DN and filter are settings of their own)');
  return `${url.protocol.toLowerCase()}//${url.host}`;
}

/** StartTLS: true by default on ldap://, false (and only false) on ldaps://, already TLS. */
export function checkStartTls(url: string, startTls: boolean | undefined): boolean {
  const secure = url.startsWith('ldaps:');
  if (startTls === undefined) return !secure;
  if (secure && startTls) throw refuse('startTls', 'StartTLS cannot be used with ldaps:// (the connection is TLS already): use ldap:// with StartTLS, or ldaps:// without it');
  return startTls;
}

/** A distinguished name as typed (RFC 4514 is the directory's to read): 1..1024 characters, no control characters. */
export function checkDn(field: string, dn: string): string {
  return checkText(field, dn, MAX_DN, `the ${field} DN`);
}

/**
 * An RFC 4515 filter in parentheses, with `{email}` where the escaped address goes. Literal parentheses in values
 * are written \28 and \29 in a filter, so every parenthesis counts: they must balance.
 */
export function checkUserFilter(filter: string): string {
  const text = checkText('userFilter', filter, MAX_DN, 'the user filter');
  if (!text.includes('{email}')) throw refuse('userFilter', 'the user filter must contain {email}, where the address typed at sign-in goes, such as (&(objectClass=inetOrgPerson)(mail={email}))');
  let depth = 0;
  // Parentheses are ASCII: UTF-16 code units find them whatever else the filter holds.
  for (let index = 0; index < text.length; index++) {
    const char = text.charAt(index);
    if (char === '(') depth++;
    else if (char === ')') depth--;
    if (depth < 0 || (depth === 0 && index < text.length - 1)) {
      throw refuse('userFilter', 'the user filter must be one filter in balanced parentheses, such as (&(objectClass=inetOrgPerson)(mail={email}))');
    }
  }
  if (depth !== 0 || !text.startsWith('(')) throw refuse('userFilter', 'the user filter must be one filter in balanced parentheses, such as (&(objectClass=inetOrgPerson)(mail={email}))');
  return text;
}

/**
 * PEM text of one or more CA certificates, each parsed (X509Certificate); stored as the certificates alone. A
 * private key in it is refused: a wrong file, and not something to keep in settings that every export carries.
 */
export function checkCa(pem: string | null): string | null {
  if (pem === null || pem.trim() === '') return null;
  if (pem.length > MAX_CA) throw refuse('ca', `the CA certificates must be at most ${MAX_CA} characters of PEM`);
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem)) throw refuse('ca', 'the CA file holds a private key: give the CA certificate(s) only');
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw refuse('ca', 'the CA file holds no PEM certificate (-----BEGIN CERTIFICATE-----)');
  for (const [index, block] of blocks.entries()) {
    try {
      new X509Certificate(block);
    } catch {
      throw refuse('ca', `certificate ${index + 1} of the CA file cannot be read`);
    }
  }
  return blocks.join('\n') + '\n';
}

export function checkLdapAttributes(current: LdapSettings['attributes'], changes: Partial<LdapSettings['attributes']>): LdapSettings['attributes'] {
  const attribute = (field: string, name: string) => {
    const trimmed = name.trim();
    if (!LDAP_ATTRIBUTE.test(trimmed)) throw refuse(field, `${field} ${JSON.stringify(name.slice(0, 100))} is not an LDAP attribute name (such as mail or displayName)`);
    return trimmed;
  };
  const optional = (field: string, name: string | null) => (name === null || name.trim() === '' ? null : attribute(field, name));
  return {
    email: changes.email === undefined ? current.email : attribute('attributes.email', changes.email),
    name: changes.name === undefined ? current.name : optional('attributes.name', changes.name),
    memberOf: changes.memberOf === undefined ? current.memberOf : optional('attributes.memberOf', changes.memberOf),
  };
}
