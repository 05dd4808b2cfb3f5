// One token response's records on PostgreSQL: sent at once on separate pooled connections. Their commits wait
// on the server, not on the event loop, so one transaction would only add a round trip per response.
import type { AccessTokenRepository, IssuanceRepository, IssuedTokens, RefreshTokenRepository, SessionRepository } from '../store.js';

export class PostgresIssuanceRepository implements IssuanceRepository {
  constructor(
    private readonly accessTokens: AccessTokenRepository,
    private readonly sessions: SessionRepository,
    private readonly refreshTokens: RefreshTokenRepository,
  ) {}

  async record(issued: IssuedTokens): Promise<void> {
    const { accessToken, sessionClient, refreshToken } = issued;
    await Promise.all([
      this.accessTokens.create(accessToken),
      sessionClient ? this.sessions.addClient(sessionClient.sid, sessionClient.clientId, sessionClient.at) : undefined,
      refreshToken ? this.refreshTokens.create(refreshToken) : undefined,
    ]);
  }
}
