// The audit log screen: every event, newest first, filtered by what the query string asks for, with the hash
// chain's status on top; and the same selection as a JSON-lines download. Both are GET and change nothing.
import type { Request, Response, Router } from 'express';
import { auditJsonLines } from '../audit/export.js';
import { ValidationError } from '../errors.js';
import { keyedPart, type ChainVerification } from '../audit/verify.js';
import { ChainStatusCache } from './audit-chain-status.js';
import { filterQuery, readAuditFilters, type FilterField } from './audit-filters.js';
import { eventRows } from './audit-view.js';
import type { AdminDependencies } from './context.js';
import { formatTime, renderAdmin } from './render.js';

export const AUDIT_PAGE_SIZE = 50;

function chainSummary(result: ChainVerification): string {
  if (result.intact) return result.lastId === null ? 'Chain intact: no events yet' : `Chain intact: ${result.events} events, last #${result.lastId}, ${keyedPart(result)}`;
  return result.brokenAt === null ? `Chain broken at the end of the log: ${result.message}` : `Chain broken at event #${result.brokenAt}: ${result.message}`;
}

function auditPage(deps: AdminDependencies, chainStatus: ChainStatusCache) {
  const base = `${deps.config.basePath}/admin/audit`;
  return async (req: Request, res: Response): Promise<void> => {
    const form = readAuditFilters(req.query);
    const invalid = Object.keys(form.errors).length > 0;
    const [found, total, chain] = await Promise.all([
      // One more than a page tells whether an older page exists.
      invalid ? [] : deps.store.audit.list({ before: form.before, limit: AUDIT_PAGE_SIZE + 1, filter: form.filter }),
      invalid ? null : deps.store.audit.count(form.filter),
      chainStatus.current(),
    ]);
    const events = found.slice(0, AUDIT_PAGE_SIZE);
    const last = events[events.length - 1];
    renderAdmin(
      res,
      'audit/index',
      {
        title: 'Audit log',
        section: 'audit',
        values: form.values,
        errors: form.errors,
        total,
        events: await eventRows(deps, events),
        chain: { intact: chain.verification.intact, summary: chainSummary(chain.verification), checkedAt: formatTime(chain.checkedAt) },
        links: {
          clear: base,
          newest: form.before !== null ? `${base}${filterQuery(form.values)}` : null,
          older: found.length > AUDIT_PAGE_SIZE && last ? `${base}${filterQuery(form.values, { before: String(last.id) })}` : null,
          export: invalid ? null : `${base}/export${filterQuery(form.values)}`,
        },
      },
      invalid ? 400 : 200,
    );
  };
}

/** Resolves once the answer can take more, or the download was abandoned. */
function drained(res: Response): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.once('drain', done);
    res.once('close', done);
  });
}

function auditExport(deps: AdminDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    const form = readAuditFilters(req.query);
    const [field, message] = (Object.entries(form.errors) as [FilterField, string][])[0] ?? [];
    // The export link is built from a valid form; a bad value here came from an edited address.
    if (field && message) throw new ValidationError(field, message);
    const date = new Date(deps.clock.now()).toISOString().slice(0, 10);
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Content-Type', 'application/x-ndjson; charset=utf-8');
    res.setHeader('Content-Disposition', `attachment; filename="gatehouse-audit-${date}.jsonl"`);
    res.status(200);
    for await (const lines of auditJsonLines(deps.store, { filter: form.filter })) {
      if (res.destroyed) return;
      if (!res.write(lines)) await drained(res);
    }
    res.end();
  };
}

export function auditRoutes(router: Router, deps: AdminDependencies): void {
  // One per app: the cached status belongs to this app's store.
  const chainStatus = new ChainStatusCache(deps.store, deps.clock, { key: deps.config.auditChainKey });
  router.get('/audit', auditPage(deps, chainStatus));
  router.get('/audit/export', auditExport(deps));
}
