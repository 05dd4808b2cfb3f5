// Building LDAP search filters from what a person typed (issue 23). The email goes into the administrator's
// filter template as an assertion value, so it is escaped per RFC 4515 §3: without it, `*)(mail=*` or
// `alice@example.org)(|(mail=*` would turn one person's search into a wildcard over the whole directory (LDAP
// injection), and a `*` alone would be a presence test that matches everyone.

/**
 * An RFC 4515 §3 assertion value: `*`, `(`, `)`, `\` and NUL become `\2a`, `\28`, `\29`, `\5c`, `\00`. Every other
 * character stays as it is (UTF-8 is valid in a value; RFC 4515 only requires escaping those five).
 */
export function escapeFilterValue(value: string): string {
  return value.replace(/[*()\\\0]/g, (character) => `\\${character.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/**
 * The user filter for an email: every `{email}` of the template replaced by the escaped address. split/join and
 * not String.replace, whose replacement string would read `$&` or `$'` in an address as patterns.
 */
export function userFilterFor(template: string, email: string): string {
  return template.split('{email}').join(escapeFilterValue(email));
}

/** The groups a DN belongs to: groupOfNames `member` or groupOfUniqueNames `uniqueMember` naming it. */
export function groupFilterFor(dn: string): string {
  const value = escapeFilterValue(dn);
  return `(|(member=${value})(uniqueMember=${value}))`;
}

/**
 * The value of a DN's first RDN (`cn=engineers,ou=groups,…` → `engineers`), with RFC 4514 §2.4 escapes undone
 * (`\,` `\+` `\"` `\\` `\<` `\>` `\;` `\=` `\ ` `\#` and `\XX` hex pairs, which may spell UTF-8). null when the DN
 * is unreadable. A multi-valued first RDN (`cn=a+uid=b`) gives its first value.
 */
export function firstRdnValue(dn: string): string | null {
  // Code points, not UTF-16 units, so a character outside the BMP is copied whole.
  const characters = Array.from(dn);
  const equals = characters.indexOf('=');
  if (equals <= 0) return null;
  const bytes: number[] = [];
  for (let index = equals + 1; index < characters.length; index += 1) {
    const character = characters[index] as string;
    if (character === ',' || character === '+' || character === ';') break;
    if (character !== '\\') {
      bytes.push(...Buffer.from(character, 'utf8'));
      continue;
    }
    const pair = (characters[index + 1] ?? '') + (characters[index + 2] ?? '');
    if (/^[0-9a-fA-F]{2}$/.test(pair)) {
      bytes.push(parseInt(pair, 16));
      index += 2;
    } else if (index + 1 < characters.length) {
      bytes.push(...Buffer.from(characters[index + 1] as string, 'utf8'));
      index += 1;
    } else {
      return null;
    }
  }
  const value = Buffer.from(bytes).toString('utf8').trim();
  return value === '' ? null : value;
}
