// The passwords every form that sets one must refuse, each with the reason the person reads (issue 20; NIST SP
// 800-63B-4 §3.1.1.2 at any minimum length), and a long passphrase every form accepts. Shared by the
// test/http/password-reasons-*.test.ts suites and test/cli/idp-user-password-reasons.test.ts.

/** The reasons, after "the password" (src/auth/password-strength.ts), as the person reads them. */
export const REASON = {
  repeats: 'repeats one word or character',
  sequence: 'is a sequence like 1234 or abcd',
  keyboard: 'is a row of keys on the keyboard',
  account: 'contains the name or email address of the account',
  service: 'contains the name of this service or its address',
} as const;

/** Accepted before issue 20 at the default minimum length of 15. */
export const ISSUE_PASSWORDS: readonly (readonly [string, string])[] = [
  ['passwordpassword', REASON.repeats],
  ['iloveyouiloveyou', REASON.repeats],
  ['qwertyuiopasdfgh', REASON.keyboard],
  ['1234567890123456', REASON.sequence],
  ['aaaaaaaaaaaaaaaa', REASON.repeats],
  ['gatehousegatehouse', REASON.service],
];

/** The person the context cases are about: their email's local part holds none of their names. */
export const PERSON_NAME = 'Ada Lovelace';

/** Passwords built on the person's name, the issuer's host, and "Gatehouse", for an app at `issuer`. */
export function contextPasswords(issuer: string): (readonly [string, string])[] {
  return [
    ['AdaLovelace1815!', REASON.account],
    [`${new URL(issuer).hostname} rocks!`, REASON.service],
    ['Gatehouse2024!!!', REASON.service],
  ];
}

/** Every refusal above. */
export function refusedPasswords(issuer: string): (readonly [string, string])[] {
  return [...ISSUE_PASSWORDS, ...contextPasswords(issuer)];
}

/** A long random passphrase: five words drawn from a list, no pattern for any rule to refuse. */
export const PASSPHRASE = 'tundra pickle marble saxophone walnut';

/** A reason as a form shows it next to its field: "The password … ." */
export const asSentence = (reason: string) => `The password ${reason}.`;
