// PLACEHOLDER (issue 26 foundation): its owner replaces every method with the engine's statements.
import type { DeliveryRepository } from '../store.js';
import type { PostgresPool } from './database.js';

function notYet(): never {
  throw new Error('not implemented yet (issue 26)');
}

export class PostgresDeliveryRepository implements DeliveryRepository {
  constructor(private readonly pool: PostgresPool) {
    void this.pool;
  }
  enqueue: DeliveryRepository['enqueue'] = async () => notYet();
  claimDue: DeliveryRepository['claimDue'] = async () => notYet();
  settle: DeliveryRepository['settle'] = async () => notYet();
  redeliver: DeliveryRepository['redeliver'] = async () => notYet();
  findById: DeliveryRepository['findById'] = async () => notYet();
  listForWebhook: DeliveryRepository['listForWebhook'] = async () => notYet();
  listForClient: DeliveryRepository['listForClient'] = async () => notYet();
  counts: DeliveryRepository['counts'] = async () => notYet();
  deleteSettledBefore: DeliveryRepository['deleteSettledBefore'] = async () => notYet();
}
