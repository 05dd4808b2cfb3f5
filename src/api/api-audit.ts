// Every management API call made with a valid token is one `api.request` audit event, success or refusal: who called
// (the client, the administrator, or `cli` for an operator's token), with which token (its id or jti, never the
// token), what (the operationId and method), on what (the path's resource id) and how it ended (the status). Calls
// refused before authentication (401) are logged but not audited: a flood of junk must not fill the chain.
import type { Request } from 'express';
import type { ApiCaller } from './caller.js';
import type { ManagementApiDependencies } from './dependencies.js';
import type { ApiOperation } from './operation.js';

export const API_REQUEST_EVENT = 'api.request';

/** The resource the path names (`/users/{id}` → the id; `/groups/{id}/members/{user_id}` → the group). */
function subjectOf(req: Request, operation: ApiOperation): string | null {
  const name = operation.path.match(/\{([A-Za-z0-9_]+)\}/)?.[1];
  const value = name === undefined ? undefined : (req.params as Record<string, unknown>)[name];
  return typeof value === 'string' ? value.slice(0, 200) : null;
}

/**
 * Appends the event. The call's outcome stands whatever happens here: a change already made is not reported as
 * failed because its audit could not be written; that failure goes to the log.
 */
export async function auditCall(deps: Pick<ManagementApiDependencies, 'store' | 'clock'>, req: Request, caller: ApiCaller, operation: ApiOperation, status: number): Promise<void> {
  try {
    await deps.store.audit.append({
      at: deps.clock.now(),
      type: API_REQUEST_EVENT,
      actor: caller.actor,
      subject: subjectOf(req, operation),
      // A machine client's calls are filed under it, so the audit view filters them by the client.
      clientId: caller.kind === 'client' ? caller.id : null,
      ip: req.ip ?? null,
      outcome: status < 400 ? 'success' : 'failure',
      details: { method: req.method, operation: operation.operationId, status, token_kind: caller.kind, token_id: caller.tokenId },
    });
  } catch (error) {
    req.log.error({ err: error, operation: operation.operationId, status }, 'the api.request audit event could not be written');
  }
}
