// Structured JSON logs. Handlers log facts, never credentials; the redaction list is a second line of defence.
import { pino, type Logger } from 'pino';
import type { LogLevel } from './config.js';

export type { Logger };

const SECRET_FIELDS = [
  'password',
  'secret',
  'client_secret',
  'code',
  'code_verifier',
  'token',
  'access_token',
  'refresh_token',
  'id_token',
  'id_token_hint',
  'authorization',
  'cookie',
  'set-cookie',
];

export function createLogger(level: LogLevel, destination?: NodeJS.WritableStream): Logger {
  const options = {
    level,
    base: { service: 'gatehouse' },
    redact: { paths: [...SECRET_FIELDS, ...SECRET_FIELDS.map((field) => `*.${field}`)], censor: '[redacted]' },
  };
  return destination ? pino(options, destination) : pino(options);
}
