// RFC 4515 escaping of what a person types into a directory search, and reading group names out of DNs.
import { describe, expect, test } from 'vitest';
import { escapeFilterValue, firstRdnValue, groupFilterFor, userFilterFor } from '../../src/federation/ldap-filter.js';
import { guidString } from '../../src/federation/ldap.js';

describe('escapeFilterValue (RFC 4515 §3)', () => {
  test.each([
    ['*', '\\2a'],
    ['(', '\\28'],
    [')', '\\29'],
    ['\\', '\\5c'],
    ['\0', '\\00'],
    ['*)(mail=*', '\\2a\\29\\28mail=\\2a'],
    ['alice@example.org)(|(mail=*', 'alice@example.org\\29\\28|\\28mail=\\2a'],
    ['alice@example.org', 'alice@example.org'],
  ])('%j → %j', (value, escaped) => {
    expect(escapeFilterValue(value)).toBe(escaped);
  });

  test('UTF-8 stays as it is', () => {
    expect(escapeFilterValue('zoë@例え.jp')).toBe('zoë@例え.jp');
  });
});

describe('userFilterFor', () => {
  test('replaces every {email} with the escaped address', () => {
    expect(userFilterFor('(|(mail={email})(uid={email}))', 'a*b')).toBe('(|(mail=a\\2ab)(uid=a\\2ab))');
  });

  test("replacement patterns in the address ($&, $') are text, not patterns", () => {
    expect(userFilterFor('(mail={email})', "$&$'$`@example.org")).toBe("(mail=$&$'$`@example.org)");
  });
});

test('groupFilterFor escapes the DN in both branches', () => {
  expect(groupFilterFor('uid=dan(x),ou=people,dc=example,dc=org')).toBe('(|(member=uid=dan\\28x\\29,ou=people,dc=example,dc=org)(uniqueMember=uid=dan\\28x\\29,ou=people,dc=example,dc=org))');
});

describe('firstRdnValue (RFC 4514)', () => {
  test.each([
    ['cn=engineers,ou=groups,dc=example,dc=org', 'engineers'],
    ['CN=Domain Admins,CN=Users,DC=corp,DC=example', 'Domain Admins'],
    ['cn=Smith\\, John,ou=groups', 'Smith, John'],
    ['cn=R\\26D,ou=groups', 'R&D'],
    ['cn=Z\\C3\\BCrich,ou=groups', 'Zürich'],
    ['cn=a+uid=b,ou=groups', 'a'],
    ['cn=team 😀,ou=groups', 'team 😀'],
    ['not a dn', null],
    ['cn=,ou=groups', null],
  ])('%j → %j', (dn, value) => {
    expect(firstRdnValue(dn)).toBe(value);
  });
});

test('guidString: Active Directory objectGUID bytes → the usual string', () => {
  const bytes = Buffer.from('33221100554477668899aabbccddeeff', 'hex');
  expect(guidString(bytes)).toBe('00112233-4455-6677-8899-aabbccddeeff');
  expect(guidString(Buffer.alloc(3))).toBeNull();
});
