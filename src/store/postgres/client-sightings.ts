// PLACEHOLDER (issue 26 foundation): its owner replaces every method with the engine's statements.
import type { ClientSightingRepository } from '../store.js';
import type { PostgresPool } from './database.js';

function notYet(): never {
  throw new Error('not implemented yet (issue 26)');
}

export class PostgresClientSightingRepository implements ClientSightingRepository {
  constructor(private readonly pool: PostgresPool) {
    void this.pool;
  }
  saw: ClientSightingRepository['saw'] = async () => notYet();
  jwksFetched: ClientSightingRepository['jwksFetched'] = async () => notYet();
  summary: ClientSightingRepository['summary'] = async () => notYet();
  deleteBefore: ClientSightingRepository['deleteBefore'] = async () => notYet();
}
