// The passkeys table's columns and how a row becomes a record, shared by every engine.
import type { NewPasskey, PasskeyRecord } from '../records.js';

export interface PasskeyRow {
  credential_id: string;
  user_id: string;
  name: string;
  public_key: string;
  counter: number;
  /** A JSON array of strings. */
  transports: string;
  device_type: string;
  /** 0 or 1 on SQLite, a boolean on PostgreSQL. */
  backed_up: number | boolean;
  created_at: number;
  last_used_at: number | null;
}

export const COLUMNS = 'credential_id, user_id, name, public_key, counter, transports, device_type, backed_up, created_at, last_used_at';

export function toRecord(row: PasskeyRow): PasskeyRecord {
  return {
    credentialId: row.credential_id,
    userId: row.user_id,
    name: row.name,
    publicKey: row.public_key,
    counter: row.counter,
    transports: JSON.parse(row.transports) as string[],
    // The table's CHECK admits only the device types the type names.
    deviceType: row.device_type as PasskeyRecord['deviceType'],
    backedUp: Boolean(row.backed_up),
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
  };
}

/** A new passkey's values in COLUMNS order, last_used_at left out; `B` is how the engine stores a boolean. */
export type PasskeyValues<B> = [string, string, string, string, number, string, string, B, number];

/**
 * A new passkey's values in COLUMNS order, last_used_at left out (an INSERT writes NULL there). backed_up goes
 * through `bool`: SQLite stores 0 or 1 (`Number`), PostgreSQL a boolean (`Boolean`).
 */
export function toValues<B>(passkey: NewPasskey, bool: (value: boolean) => B): PasskeyValues<B> {
  return [
    passkey.credentialId,
    passkey.userId,
    passkey.name,
    passkey.publicKey,
    passkey.counter,
    JSON.stringify(passkey.transports),
    passkey.deviceType,
    bool(passkey.backedUp),
    passkey.createdAt,
  ];
}
