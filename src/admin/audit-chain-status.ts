// The hash chain's status at the top of the audit screen. A whole walk reads the whole log, so the screen walks
// it whole at most once an hour and otherwise goes on from where the last intact walk ended: only the events
// appended since are read (issue 20), and the head is compared each time. A result is reused while the head stays
// the same, for at most a minute. So new events and a cut-off tail show at once, and tampering with an event
// the screen already checked (an edited or deleted old row) shows at the next whole walk, within the hour;
// `idp audit verify` always walks the whole log.
import { verifyAuditChain, type ChainPosition, type ChainVerification } from '../audit/verify.js';
import type { Clock } from '../clock.js';
import type { AuditChainHead } from '../store/records.js';
import type { Store } from '../store/store.js';

export const CHAIN_STATUS_MAX_AGE_MS = 60 * 1000;
export const WHOLE_WALK_MAX_AGE_MS = 60 * 60 * 1000;

export interface ChainStatus {
  verification: ChainVerification;
  checkedAt: number;
}

const headKey = (head: AuditChainHead | null): string => (head ? `${head.lastId}:${head.lastHash}` : 'none');

export interface ChainStatusOptions {
  /** AUDIT_CHAIN_KEY, to check the keyed part of the chain. */
  key?: Buffer | null;
  maxAgeMs?: number;
  wholeWalkMaxAgeMs?: number;
}

export class ChainStatusCache {
  private cached: { head: string; status: ChainStatus } | null = null;
  /** Where the last intact walk ended, and when the last whole walk began. */
  private checkpoint: { position: ChainPosition; wholeWalkAt: number } | null = null;
  /** The verification under way: simultaneous page views share one walk of the log. */
  private running: Promise<ChainStatus> | null = null;
  private readonly key: Buffer | null;
  private readonly maxAgeMs: number;
  private readonly wholeWalkMaxAgeMs: number;

  constructor(
    private readonly store: Pick<Store, 'audit'>,
    private readonly clock: Clock,
    options: ChainStatusOptions = {},
  ) {
    this.key = options.key ?? null;
    this.maxAgeMs = options.maxAgeMs ?? CHAIN_STATUS_MAX_AGE_MS;
    this.wholeWalkMaxAgeMs = options.wholeWalkMaxAgeMs ?? WHOLE_WALK_MAX_AGE_MS;
  }

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
    const checkpoint = this.checkpoint;
    const whole = checkpoint === null || checkedAt - checkpoint.wholeWalkAt >= this.wholeWalkMaxAgeMs;
    const verification = await verifyAuditChain(this.store, { key: this.key, from: whole ? undefined : checkpoint.position });
    // A broken chain is walked whole next time: the break stays in view until it is gone.
    this.checkpoint = verification.intact ? { position: verification, wholeWalkAt: whole ? checkedAt : checkpoint.wholeWalkAt } : null;
    // Kept under the head read before the walk: if events arrived meanwhile, the next view verifies again.
    const status = { verification, checkedAt };
    this.cached = { head, status };
    return status;
  }
}
