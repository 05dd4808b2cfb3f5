// Every error class Gatehouse throws on purpose. Each keeps what may be shown to the requester (message or
// error_description) apart from `detail`, which only ever reaches the log. src/http/error-handler.ts renders them.

/** Base of every expected error: a public message and an optional internal detail for the log. */
export abstract class GatehouseError extends Error {
  abstract readonly status: number;
  constructor(message: string, readonly detail?: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** A configuration variable is missing or malformed; the process must not start. */
export class ConfigError extends GatehouseError {
  readonly status = 500;
  constructor(readonly variable: string, problem: string) {
    super(`${variable} ${problem}`);
  }
}

/** Input from an operator or a form broke a rule (bad email, weak password, bad redirect URI). */
export class ValidationError extends GatehouseError {
  readonly status = 400;
  constructor(readonly field: string, message: string) {
    super(message);
  }
}

/** A user, client or key named by an operator does not exist. */
export class NotFoundError extends GatehouseError {
  readonly status = 404;
}

/** A write would break a uniqueness rule (an email already registered). */
export class ConflictError extends GatehouseError {
  readonly status = 409;
}

/** A signing key file is missing, unreadable or does not match its metadata; never replaced silently. */
export class KeyStoreError extends GatehouseError {
  readonly status = 500;
}

/** No route answers this path. */
export class RouteNotFoundError extends GatehouseError {
  readonly status = 404;
}

/** The store cannot be reached or a migration failed. */
export class StoreUnavailableError extends GatehouseError {
  readonly status = 503;
}
