// Attribute definitions and people's values on PostgreSQL (issue 21, migration 0012).
import pg from 'pg';
import type { AttributeDefinition, AttributePatch, AttributeValue } from '../records.js';
import { attributeNameTaken, attributeNotFound, claimTaken, COLUMNS, toDefinition, toValues, userNotFound, valueColumn, type AttributeRow, type ValueRow } from '../rows/attributes.js';
import type { AttributeRepository } from '../store.js';
import { isAnyForeignKeyViolation, isUniqueViolation, query, statement, type PostgresPool } from './database.js';

const INSERT = statement('attributes.insert', `INSERT INTO attribute_definitions (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)`);
const LIST = statement('attributes.list', `SELECT ${COLUMNS} FROM attribute_definitions ORDER BY name`);
const BY_NAME = statement('attributes.byName', `SELECT ${COLUMNS} FROM attribute_definitions WHERE name = $1`);
const REMOVE = statement('attributes.remove', 'DELETE FROM attribute_definitions WHERE name = $1');
const SET = statement(
  'attributes.setValue',
  'INSERT INTO user_attributes (user_id, name, value, updated_at) VALUES ($1, $2, $3, $4) ON CONFLICT (user_id, name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at',
);
const CLEAR = statement('attributes.clearValue', 'DELETE FROM user_attributes WHERE user_id = $1 AND name = $2');
const VALUES = statement('attributes.valuesOf', 'SELECT name, value FROM user_attributes WHERE user_id = $1');
const USER_EXISTS = statement('attributes.userExists', 'SELECT 1 AS one FROM users WHERE id = $1');

/** Which uniqueness a failed write broke: the name is the primary key, the claim is UNIQUE. */
function takenColumn(error: unknown): 'name' | 'claim' | null {
  if (!isUniqueViolation(error)) return null;
  return (error as pg.DatabaseError).constraint === 'attribute_definitions_pkey' ? 'name' : 'claim';
}

export class PostgresAttributeRepository implements AttributeRepository {
  constructor(private readonly pool: PostgresPool) {}

  async define(definition: Omit<AttributeDefinition, 'createdAt'>, now: number): Promise<AttributeDefinition> {
    const record: AttributeDefinition = { ...definition, createdAt: now };
    try {
      await query(this.pool, INSERT, [record.name, record.type, record.claim, record.scope, record.userVisible, now]);
    } catch (error) {
      const taken = takenColumn(error);
      if (taken === 'name') throw attributeNameTaken(definition.name);
      if (taken === 'claim') throw claimTaken(definition.claim);
      throw error;
    }
    return record;
  }

  async list(): Promise<AttributeDefinition[]> {
    return (await query<AttributeRow>(this.pool, LIST)).rows.map(toDefinition);
  }

  async find(name: string): Promise<AttributeDefinition | null> {
    const row = (await query<AttributeRow>(this.pool, BY_NAME, [name])).rows[0];
    return row ? toDefinition(row) : null;
  }

  async update(name: string, patch: AttributePatch): Promise<AttributeDefinition | null> {
    const assignments: string[] = [];
    const values: unknown[] = [];
    const assign = (column: string, value: unknown) => {
      values.push(value);
      assignments.push(`${column} = $${values.length}`);
    };
    if (patch.claim !== undefined) assign('claim', patch.claim);
    if (patch.scope !== undefined) assign('scope', patch.scope);
    if (patch.userVisible !== undefined) assign('user_visible', patch.userVisible);
    if (assignments.length === 0) return this.find(name);
    values.push(name);
    try {
      const { rows } = await query<AttributeRow>(this.pool, `UPDATE attribute_definitions SET ${assignments.join(', ')} WHERE name = $${values.length} RETURNING ${COLUMNS}`, values);
      return rows[0] ? toDefinition(rows[0]) : null;
    } catch (error) {
      if (takenColumn(error) === 'claim') throw claimTaken(patch.claim ?? '');
      throw error;
    }
  }

  async remove(name: string): Promise<boolean> {
    // Every person's value of it goes with it (ON DELETE CASCADE).
    return ((await query(this.pool, REMOVE, [name])).rowCount ?? 0) > 0;
  }

  async setValue(userId: string, name: string, value: AttributeValue | null, now: number): Promise<void> {
    if (value === null) {
      if (((await query(this.pool, CLEAR, [userId, name])).rowCount ?? 0) > 0) return;
      // Nothing to clear: still a NotFoundError when the person or the attribute is not there, as for a set.
      await this.assertKnown(userId, name);
      return;
    }
    try {
      await query(this.pool, SET, [userId, name, valueColumn(value), now]);
    } catch (error) {
      if (!isAnyForeignKeyViolation(error)) throw error;
      await this.assertKnown(userId, name);
      throw error;
    }
  }

  async valuesOf(userId: string): Promise<Record<string, AttributeValue>> {
    return toValues((await query<ValueRow>(this.pool, VALUES, [userId])).rows);
  }

  private async assertKnown(userId: string, name: string): Promise<void> {
    if ((await this.find(name)) === null) throw attributeNotFound(name);
    if ((await query(this.pool, USER_EXISTS, [userId])).rows.length === 0) throw userNotFound(userId);
  }
}
