// The attribute tables' columns and how rows become records, shared by every engine (issue 21, migration 0012).
import { ConflictError, NotFoundError } from '../../errors.js';
import type { AttributeDefinition, AttributeType, AttributeValue } from '../records.js';

export interface AttributeRow {
  name: string;
  type: string;
  claim: string;
  scope: string;
  /** 0 or 1 on SQLite, a boolean on PostgreSQL. */
  user_visible: number | boolean;
  created_at: number;
}

export interface ValueRow {
  name: string;
  value: string;
}

export const COLUMNS = 'name, type, claim, scope, user_visible, created_at';

export function toDefinition(row: AttributeRow): AttributeDefinition {
  return {
    name: row.name,
    type: row.type as AttributeType,
    claim: row.claim,
    scope: row.scope,
    userVisible: Boolean(row.user_visible),
    createdAt: row.created_at,
  };
}

/** A value is stored as its JSON (a string, a number, true or false, an array of strings), whichever the engine. */
export function valueColumn(value: AttributeValue): string {
  return JSON.stringify(value);
}

/** The person's values by name; a value that does not parse (written behind the store's back) is left out. */
export function toValues(rows: readonly ValueRow[]): Record<string, AttributeValue> {
  const values: Record<string, AttributeValue> = {};
  for (const row of rows) {
    try {
      values[row.name] = JSON.parse(row.value) as AttributeValue;
    } catch {
      // Released as nothing rather than as text it was never checked to be.
    }
  }
  return values;
}

export function attributeNameTaken(name: string): ConflictError {
  return new ConflictError(`an attribute named ${name} already exists`);
}

export function claimTaken(claim: string): ConflictError {
  return new ConflictError(`another attribute is already released as the claim ${claim}`);
}

export function attributeNotFound(name: string): NotFoundError {
  return new NotFoundError(`there is no attribute named ${name}`);
}

export function userNotFound(userId: string): NotFoundError {
  return new NotFoundError(`there is no user with the id ${userId}`);
}
