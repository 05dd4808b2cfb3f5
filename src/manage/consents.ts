// A person's connected applications and the removal of one's access (issue 24): the rules shared by the account
// page's "Connected apps" (src/account/connected-apps.ts), the admin user page and `idp user apps` / `remove-app`.
//
// An application is connected when the person allowed it something (a consent, OIDC Core §3.1.2.4) or when it holds
// live refresh tokens of theirs (it can act while they are away: offline access, first-party applications included,
// whose access was never asked). Removing it takes back both: the consent goes, every code and token of that
// application for the person is revoked, and the application is told by back-channel logout (SessionTerminator
// .removeClient, src/logout/session-end.ts, the one path that revokes and notifies). The person's Gatehouse
// sessions stay: they removed an application, they did not sign out.
import { NotFoundError } from '../errors.js';
import type { SessionTerminator } from '../logout/session-end.js';
import type { ClientRecord, ClientTokenSummary, ConsentRecord } from '../store/records.js';
import type { ManageContext } from './users.js';

export interface ConnectedApp {
  client: ClientRecord;
  /** What it may access: the consent's scopes, then those of its live tokens not in the consent. */
  scopes: string[];
  /** When the person first allowed it; null when nothing was asked (a first-party application holding tokens). */
  consentedAt: number | null;
  /** The last code issued under the consent or the newest live refresh token, whichever is later; null for neither. */
  lastUsedAt: number | null;
  /** It holds live refresh tokens of the person. */
  holdsTokens: boolean;
}

/** Who removes an application's access, for the audit log: the person, an administrator, or the `idp` tool. */
export interface RemovalActor {
  /** A user id, or `cli`. */
  actor: string;
  kind: 'self' | 'admin' | 'cli';
}

export interface AccessRemoval {
  /** There was a consent, and it is gone. */
  consentRemoved: boolean;
  /** Codes, refresh tokens and recorded access tokens revoked. */
  tokensRevoked: number;
}

const latest = (...times: (number | null | undefined)[]): number | null =>
  times.reduce<number | null>((max, time) => (time === null || time === undefined ? max : max === null ? time : Math.max(max, time)), null);

function connectedApp(client: ClientRecord, consent: ConsentRecord | undefined, tokens: ClientTokenSummary | undefined): ConnectedApp {
  return {
    client,
    scopes: [...new Set([...(consent?.scopes ?? []), ...(tokens?.scopes ?? [])])],
    consentedAt: consent?.grantedAt ?? null,
    lastUsedAt: latest(consent?.lastUsedAt, tokens?.lastIssuedAt),
    holdsTokens: tokens !== undefined,
  };
}

/**
 * The person's connected applications, most recently used first (one allowed but never used counts from when it
 * was last allowed), then by name. An application deleted meanwhile is left out.
 */
export async function connectedApps(ctx: Pick<ManageContext, 'store' | 'clock'>, userId: string): Promise<ConnectedApp[]> {
  const [consents, holders] = await Promise.all([ctx.store.consents.listForUser(userId), ctx.store.refreshTokens.clientsOfUser(userId, ctx.clock.now())]);
  const consentOf = new Map(consents.map((consent) => [consent.clientId, consent]));
  const tokensOf = new Map(holders.map((summary) => [summary.clientId, summary]));
  const apps: { app: ConnectedApp; order: number }[] = [];
  for (const clientId of new Set([...consentOf.keys(), ...tokensOf.keys()])) {
    const client = await ctx.store.clients.findById(clientId);
    if (!client) continue;
    const consent = consentOf.get(clientId);
    const app = connectedApp(client, consent, tokensOf.get(clientId));
    apps.push({ app, order: app.lastUsedAt ?? consent?.updatedAt ?? 0 });
  }
  apps.sort((a, b) => b.order - a.order || a.app.client.name.localeCompare(b.app.client.name) || a.app.client.clientId.localeCompare(b.app.client.clientId));
  return apps.map(({ app }) => app);
}

/**
 * Takes back everything the person gave an application: its consent, then every code, refresh token and recorded
 * access token it holds of theirs (the consent first, so that a code issued under it meanwhile is among those
 * revoked), and tells it by back-channel logout. Audited as `consent.revoked` {client_id, by, tokens_revoked}.
 * An application the person has no consent with and no live refresh token of (or an unknown one) is a
 * NotFoundError, with nothing written and nothing audited: only the person's own connections can be named.
 */
export async function removeClientAccess(ctx: ManageContext & { sessionEnd: SessionTerminator }, userId: string, clientId: string, by: RemovalActor): Promise<AccessRemoval> {
  const nothing = () => new NotFoundError(`the application ${JSON.stringify(clientId)} has no access to this account`);
  const client = await ctx.store.clients.findById(clientId);
  if (!client) throw nothing();
  const [consent, holders] = await Promise.all([ctx.store.consents.find(userId, clientId), ctx.store.refreshTokens.clientsOfUser(userId, ctx.clock.now())]);
  if (!consent && !holders.some((summary) => summary.clientId === clientId)) throw nothing();
  const consentRemoved = await ctx.store.consents.revoke(userId, clientId);
  const tokensRevoked = await ctx.sessionEnd.removeClient(userId, client);
  // A removal racing this one took everything first: it is the one audited.
  if (!consentRemoved && tokensRevoked === 0) throw nothing();
  await ctx.store.audit.append({
    at: ctx.clock.now(),
    type: 'consent.revoked',
    actor: by.actor,
    subject: userId,
    clientId,
    ip: ctx.ip ?? null,
    details: { client_id: clientId, by: by.kind, consent: consentRemoved, tokens_revoked: tokensRevoked },
  });
  return { consentRemoved, tokensRevoked };
}
