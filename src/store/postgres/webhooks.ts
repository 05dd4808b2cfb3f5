// PLACEHOLDER (issue 26 foundation): its owner replaces every method with the engine's statements.
import type { WebhookRepository } from '../store.js';
import type { PostgresPool } from './database.js';

function notYet(): never {
  throw new Error('not implemented yet (issue 26)');
}

export class PostgresWebhookRepository implements WebhookRepository {
  constructor(private readonly pool: PostgresPool) {
    void this.pool;
  }
  create: WebhookRepository['create'] = async () => notYet();
  findById: WebhookRepository['findById'] = async () => notYet();
  list: WebhookRepository['list'] = async () => notYet();
  update: WebhookRepository['update'] = async () => notYet();
  delete: WebhookRepository['delete'] = async () => notYet();
}
