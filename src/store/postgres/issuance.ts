// One token response's records on PostgreSQL: sent at once on separate pooled connections. Their commits wait
// on the server, not on the event loop, so one transaction would only add round trips per response. The code or
// refresh token the response spends (issue 27) is spent first, by the same one conditional statement as
// AuthorizationCodeRepository.consume and RefreshTokenRepository.rotate, and a request that loses the race records nothing.
// A crash between the spend and the records leaves a spent credential and no tokens, as a crash between the
// separate calls did before: the client signs in again.
import type { AccessTokenRepository, AuthorizationCodeRepository, IssuanceRepository, IssuedTokens, RefreshTokenRepository, SessionRepository } from '../store.js';

export class PostgresIssuanceRepository implements IssuanceRepository {
  constructor(
    private readonly accessTokens: AccessTokenRepository,
    private readonly sessions: SessionRepository,
    private readonly refreshTokens: RefreshTokenRepository,
    private readonly codes: AuthorizationCodeRepository,
  ) {}

  async record(issued: IssuedTokens): Promise<boolean> {
    const { accessToken, sessionClient, refreshToken, spends } = issued;
    if (spends) {
      const spent = spends.kind === 'authorization_code' ? await this.codes.consume(spends.hash, spends.at) : await this.refreshTokens.rotate(spends.hash, spends.at);
      if (spent === null) return false;
    }
    await Promise.all([
      this.accessTokens.create(accessToken),
      sessionClient ? this.sessions.addClient(sessionClient.sid, sessionClient.clientId, sessionClient.at) : undefined,
      refreshToken ? this.refreshTokens.create(refreshToken) : undefined,
    ]);
    return true;
  }
}
