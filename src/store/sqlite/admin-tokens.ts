// PLACEHOLDER (issue 26 foundation): its owner replaces every method with the engine's statements.
import type { AdminTokenRepository } from '../store.js';
import type { SqliteDatabase } from './database.js';

function notYet(): never {
  throw new Error('not implemented yet (issue 26)');
}

export class SqliteAdminTokenRepository implements AdminTokenRepository {
  constructor(private readonly db: SqliteDatabase) {
    void this.db;
  }
  create: AdminTokenRepository['create'] = async () => notYet();
  findLive: AdminTokenRepository['findLive'] = async () => notYet();
  findById: AdminTokenRepository['findById'] = async () => notYet();
  list: AdminTokenRepository['list'] = async () => notYet();
  revoke: AdminTokenRepository['revoke'] = async () => notYet();
  revokeForUser: AdminTokenRepository['revokeForUser'] = async () => notYet();
  touch: AdminTokenRepository['touch'] = async () => notYet();
  deleteEnded: AdminTokenRepository['deleteEnded'] = async () => notYet();
}
