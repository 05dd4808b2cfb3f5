// What the engines share about remembered client assertion jtis (RFC 7523 §3, issue 22, migration 0013).
import { NotFoundError } from '../../errors.js';

export function assertionClientNotFound(clientId: string): NotFoundError {
  return new NotFoundError(`there is no client with the id ${clientId}`);
}
