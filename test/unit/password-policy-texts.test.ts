// The password policy's refusals as a person reads them (issue 25): each carries a translation key
// (GatehouseError.shown, section `password` of locales/*.json) that pages print in their own language with
// errorText; the English message stays what logs, JSON and the CLI say, and the English text is that message as a
// sentence, so an English page reads as before. src/auth/password-policy.ts, src/auth/password-strength.ts.
import { describe, expect, it } from 'vitest';
import { checkPasswordPolicy, PASSWORD_MAX_LENGTH, type PasswordContext } from '../../src/auth/password-policy.js';
import { REASON_KEYS, REASONS, type Weakness } from '../../src/auth/password-strength.js';
import { ValidationError } from '../../src/errors.js';
import { sentence } from '../../src/http/sentence.js';
import { hasKey, translatorFor } from '../../src/i18n/catalog.js';
import { errorText } from '../../src/i18n/error-text.js';
import { LANGUAGES } from '../../src/i18n/languages.js';

const CONTEXT: PasswordContext = { email: 'countess@example.com', name: 'Ada Lovelace', minLength: 15, issuer: 'http://127.0.0.1:4000' };

/** One password refused for each reason (password-policy-reasons.test.ts holds the reasons themselves). */
const CASES: [string, string, PasswordContext?][] = [
  ['short', 'password.tooShort'],
  ['x'.repeat(PASSWORD_MAX_LENGTH + 1), 'password.tooLong'],
  ['countess countess countess', 'password.emailName'],
  ['AdaLovelace1815!', 'password.account'],
  ['gatehousegatehouse', 'password.service'],
  ['harbour lights 2024!', 'password.service', { ...CONTEXT, serviceName: 'Harbour Lights' }],
  ['passwordpassword', 'password.repeat'],
  ['1234567890123456', 'password.sequence'],
  ['qwertyuiopasdfgh', 'password.keyboard'],
  ['1984061219850713', 'password.date'],
  ['Mailcreated5240', 'password.breached'],
  ['Password1234567!', 'password.words'],
  ['kq7wz1234', 'password.guessable', { ...CONTEXT, minLength: 8 }],
];

function refusalOf(password: string, context: PasswordContext = CONTEXT): ValidationError {
  try {
    checkPasswordPolicy(password, context);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return error as ValidationError;
  }
  throw new Error(`expected ${JSON.stringify(password)} to be refused`);
}

describe('the password policy’s refusals in the page’s language', () => {
  it.each(CASES.map(([password, key, context]) => [key, password, context] as const))('%s: its English text is the message as a sentence', (key, password, context) => {
    const refusal = refusalOf(password, context);
    expect(refusal.text?.key).toBe(key);
    expect(errorText(translatorFor('en'), refusal)).toBe(sentence(refusal.message));
    // A plural key (the length rules) exists by its forms.
    for (const language of LANGUAGES) expect(hasKey(language, key) || hasKey(language, `${key}_other`), `${language} ${key}`).toBe(true);
  });

  it('says the numbers of the length rules in each language, with its plural forms', () => {
    expect(errorText(translatorFor('de'), refusalOf('short'))).toBe('Das Passwort muss mindestens 15 Zeichen lang sein.');
    expect(errorText(translatorFor('fr'), refusalOf('x'.repeat(PASSWORD_MAX_LENGTH + 1)))).toBe(`Le mot de passe doit comporter au plus ${PASSWORD_MAX_LENGTH} caractères.`);
    expect(errorText(translatorFor('ar'), refusalOf('short', { ...CONTEXT, minLength: 8 }))).toBe('يجب أن تتكون كلمة المرور من 8 أحرف على الأقل.');
    expect(errorText(translatorFor('ja'), refusalOf('short'))).toBe('パスワードは 15 文字以上にしてください。');
  });

  it('has a translation for every reason the strength check gives', () => {
    for (const [weakness, reason] of Object.entries(REASONS) as [Weakness, string][]) {
      expect(translatorFor('en')(REASON_KEYS[weakness])).toBe(sentence(`the password ${reason}`));
      for (const language of LANGUAGES) expect(hasKey(language, REASON_KEYS[weakness]), `${language} ${weakness}`).toBe(true);
    }
  });

  it('keeps the English message for logs, JSON and the command line', () => {
    const refusal = refusalOf('passwordpassword');
    expect(refusal.message).toBe('the password repeats one word or character');
    expect(errorText(translatorFor('es'), refusal)).toBe('La contraseña repite una palabra o un carácter.');
  });
});
