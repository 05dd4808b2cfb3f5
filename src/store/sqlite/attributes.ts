// Attribute definitions and people's values on SQLite (issue 21, migration 0012).
import type { AttributeDefinition, AttributePatch, AttributeValue } from '../records.js';
import { attributeNameTaken, attributeNotFound, claimTaken, COLUMNS, toDefinition, toValues, userNotFound, valueColumn, type AttributeRow, type ValueRow } from '../rows/attributes.js';
import type { AttributeRepository } from '../store.js';
import { isForeignKeyViolation, type SqliteDatabase } from './database.js';

/** Which uniqueness a failed write broke: the name is the primary key, the claim is UNIQUE. */
function takenColumn(error: unknown): 'name' | 'claim' | null {
  const code = (error as { code?: unknown }).code;
  if (code === 'SQLITE_CONSTRAINT_PRIMARYKEY') return 'name';
  if (code === 'SQLITE_CONSTRAINT_UNIQUE') return 'claim';
  return null;
}

export class SqliteAttributeRepository implements AttributeRepository {
  private readonly insertStmt;
  private readonly listStmt;
  private readonly byName;
  private readonly removeStmt;
  private readonly setStmt;
  private readonly clearStmt;
  private readonly valuesStmt;
  private readonly userExists;

  constructor(private readonly db: SqliteDatabase) {
    this.insertStmt = db.prepare(`INSERT INTO attribute_definitions (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)`);
    this.listStmt = db.prepare<[], AttributeRow>(`SELECT ${COLUMNS} FROM attribute_definitions ORDER BY name`);
    this.byName = db.prepare<[string], AttributeRow>(`SELECT ${COLUMNS} FROM attribute_definitions WHERE name = ?`);
    this.removeStmt = db.prepare<[string]>('DELETE FROM attribute_definitions WHERE name = ?');
    this.setStmt = db.prepare<[string, string, string, number]>(
      'INSERT INTO user_attributes (user_id, name, value, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (user_id, name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at',
    );
    this.clearStmt = db.prepare<[string, string]>('DELETE FROM user_attributes WHERE user_id = ? AND name = ?');
    this.valuesStmt = db.prepare<[string], ValueRow>('SELECT name, value FROM user_attributes WHERE user_id = ?');
    this.userExists = db.prepare<[string], number>('SELECT 1 FROM users WHERE id = ?').pluck();
  }

  async define(definition: Omit<AttributeDefinition, 'createdAt'>, now: number): Promise<AttributeDefinition> {
    const record: AttributeDefinition = { ...definition, createdAt: now };
    try {
      this.insertStmt.run(record.name, record.type, record.claim, record.scope, Number(record.userVisible), now);
    } catch (error) {
      const taken = takenColumn(error);
      if (taken === 'name') throw attributeNameTaken(definition.name);
      if (taken === 'claim') throw claimTaken(definition.claim);
      throw error;
    }
    return record;
  }

  async list(): Promise<AttributeDefinition[]> {
    return this.listStmt.all().map(toDefinition);
  }

  async find(name: string): Promise<AttributeDefinition | null> {
    const row = this.byName.get(name);
    return row ? toDefinition(row) : null;
  }

  async update(name: string, patch: AttributePatch): Promise<AttributeDefinition | null> {
    const assignments: string[] = [];
    const values: (string | number)[] = [];
    if (patch.claim !== undefined) {
      assignments.push('claim = ?');
      values.push(patch.claim);
    }
    if (patch.scope !== undefined) {
      assignments.push('scope = ?');
      values.push(patch.scope);
    }
    if (patch.userVisible !== undefined) {
      assignments.push('user_visible = ?');
      values.push(Number(patch.userVisible));
    }
    if (assignments.length === 0) return this.find(name);
    try {
      const row = this.db.prepare<unknown[], AttributeRow>(`UPDATE attribute_definitions SET ${assignments.join(', ')} WHERE name = ? RETURNING ${COLUMNS}`).get(...values, name);
      return row ? toDefinition(row) : null;
    } catch (error) {
      if (takenColumn(error) === 'claim') throw claimTaken(patch.claim ?? '');
      throw error;
    }
  }

  async remove(name: string): Promise<boolean> {
    // Every person's value of it goes with it (ON DELETE CASCADE).
    return this.removeStmt.run(name).changes > 0;
  }

  async setValue(userId: string, name: string, value: AttributeValue | null, now: number): Promise<void> {
    if (value === null) {
      if (this.clearStmt.run(userId, name).changes > 0) return;
      // Nothing to clear: still a NotFoundError when the person or the attribute is not there, as for a set.
      this.assertKnown(userId, name);
      return;
    }
    try {
      this.setStmt.run(userId, name, valueColumn(value), now);
    } catch (error) {
      if (!isForeignKeyViolation(error)) throw error;
      this.assertKnown(userId, name);
      throw error;
    }
  }

  async valuesOf(userId: string): Promise<Record<string, AttributeValue>> {
    return toValues(this.valuesStmt.all(userId));
  }

  private assertKnown(userId: string, name: string): void {
    if (this.byName.get(name) === undefined) throw attributeNotFound(name);
    if (this.userExists.get(userId) === undefined) throw userNotFound(userId);
  }
}
