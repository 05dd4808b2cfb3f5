// The hash chain's status at the top of the audit screen. Verifying reads the whole log, so the result is kept
// for the head it verified and reused while the head stays the same, for at most a minute: new events show
// at once, and tampering that leaves the head alone (an edited or deleted old row) shows within the minute.
import { verifyAuditChain, type ChainVerification } from '../audit/verify.js';
import type { Clock } from '../clock.js';
import type { AuditChainHead } from '../store/records.js';
import type { Store } from '../store/store.js';

export const CHAIN_STATUS_MAX_AGE_MS = 60 * 1000;

export interface ChainStatus {
  verification: ChainVerification;
  checkedAt: number;
}

const headKey = (head: AuditChainHead | null): string => (head ? `${head.lastId}:${head.lastHash}` : 'none');

export class ChainStatusCache {
  private cached: { head: string; status: ChainStatus } | null = null;
  /** The verification under way: simultaneous page views share one walk of the log. */
  private running: Promise<ChainStatus> | null = null;

  constructor(private readonly store: Pick<Store, 'audit'>, private readonly clock: Clock, private readonly maxAgeMs = CHAIN_STATUS_MAX_AGE_MS) {}

  async current(): Promise<ChainStatus> {
    const head = headKey(await this.store.audit.head());
    const cached = this.cached;
    if (cached && cached.head === head && this.clock.now() - cached.status.checkedAt < this.maxAgeMs) return cached.status;
    this.running ??= this.verify(head).finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async verify(head: string): Promise<ChainStatus> {
    const checkedAt = this.clock.now();
    const verification = await verifyAuditChain(this.store);
    // Kept under the head read before the walk: if events arrived meanwhile, the next view verifies again.
    const status = { verification, checkedAt };
    this.cached = { head, status };
    return status;
  }
}
