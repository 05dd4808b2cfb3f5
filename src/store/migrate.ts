// Reads the numbered plain-SQL migrations of one engine: migrations/<engine>/NNNN_name.sql.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { migrationsDir } from '../paths.js';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

const MIGRATION_FILE = /^(\d{4})_([a-z0-9_]+)\.sql$/;

export function readMigrations(engine: 'sqlite' | 'postgres', dir: string = path.join(migrationsDir, engine)): Migration[] {
  const migrations = readdirSync(dir)
    .filter((file) => file.endsWith('.sql'))
    .map((file) => {
      const match = MIGRATION_FILE.exec(file);
      if (!match) throw new Error(`Migration file ${file} in ${dir} is not named NNNN_name.sql`);
      return { version: Number(match[1]), name: match[2] ?? '', sql: readFileSync(path.join(dir, file), 'utf8') };
    })
    .sort((a, b) => a.version - b.version);
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`Migrations in ${dir} must be numbered 0001, 0002, … without gaps (found ${m.version} at position ${i + 1})`);
  });
  return migrations;
}
