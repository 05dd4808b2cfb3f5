// One parameter of a token request body; an empty value counts as absent (RFC 6749 §3.1).
import { InvalidRequest } from '../errors.js';

export function field(body: Record<string, unknown>, name: string): string | undefined {
  const value = body[name];
  // RFC 6749 §3.1: request parameters must not be included more than once.
  if (value !== undefined && typeof value !== 'string') throw new InvalidRequest(`${name} is included more than once`);
  return value === '' ? undefined : value;
}
