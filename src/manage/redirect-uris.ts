// Rules for the URIs a client registers (OIDC Core §3.1.2.1, RFC 9700 §2.1, RFC 8252 §7.3): absolute,
// no fragment, no credentials, https except on loopback hosts. They are stored exactly as given, because
// the authorization endpoint compares them by exact string equality. The back-channel logout URI, the one
// Gatehouse requests itself, also must not name a private address outside development (client-urls.ts).
import { isLoopbackHostname } from '../config.js';
import { ValidationError } from '../errors.js';

const MAX_URI_LENGTH = 2000;

export function checkClientUri(uri: string, field: string): void {
  const refuse = (problem: string) => new ValidationError(field, `${field} ${JSON.stringify(uri)} ${problem}`);
  if (uri.length > MAX_URI_LENGTH) throw refuse(`is longer than ${MAX_URI_LENGTH} characters`);
  // URL parsing silently strips surrounding whitespace and control characters; an exact-match URI may not have them.
  if (/[\s\u0000-\u001f\u007f]/.test(uri)) throw refuse('contains whitespace or control characters');
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw refuse('is not an absolute URL');
  }
  if (uri.includes('#')) throw refuse('must not have a fragment');
  if (url.username || url.password) throw refuse('must not contain credentials');
  if (url.protocol === 'https:') return;
  if (url.protocol === 'http:') {
    if (isLoopbackHostname(url.hostname)) return;
    throw refuse('uses http on a host that is not loopback; use https (http is allowed only for localhost, 127.0.0.0/8 and [::1])');
  }
  throw refuse('must use https');
}
