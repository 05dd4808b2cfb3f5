// One token response's records in one SQLite transaction: with SQLITE_SYNCHRONOUS=FULL every commit waits for
// the disk, so three commits per response were most of a code exchange's time. Issue 27: the code or refresh
// token the response spends is spent in the same transaction, by the same conditional statement as
// AuthorizationCodeRepository.consume and RefreshTokenRepository.rotate: one commit per token response instead of two, and a
// request that loses the race records nothing.
import type { IssuanceRepository, IssuedTokens } from '../store.js';
import type { SqliteAccessTokenRepository } from './access-tokens.js';
import type { SqliteAuthorizationCodeRepository } from './codes.js';
import type { SqliteDatabase } from './database.js';
import type { SqliteRefreshTokenRepository } from './refresh-tokens.js';
import type { SqliteSessionRepository } from './sessions.js';

export class SqliteIssuanceRepository implements IssuanceRepository {
  private readonly recordTx;

  constructor(
    db: SqliteDatabase,
    accessTokens: SqliteAccessTokenRepository,
    sessions: SqliteSessionRepository,
    refreshTokens: SqliteRefreshTokenRepository,
    codes: SqliteAuthorizationCodeRepository,
  ) {
    this.recordTx = db.transaction((issued: IssuedTokens): boolean => {
      const spends = issued.spends;
      if (spends) {
        const spent = spends.kind === 'authorization_code' ? codes.consumeNow(spends.hash, spends.at) : refreshTokens.rotateNow(spends.hash, spends.at);
        // Nothing was written: the conditional update changed no row.
        if (!spent) return false;
      }
      accessTokens.createNow(issued.accessToken);
      if (issued.sessionClient) sessions.addClientNow(issued.sessionClient.sid, issued.sessionClient.clientId, issued.sessionClient.at);
      if (issued.refreshToken) refreshTokens.createNow(issued.refreshToken);
      return true;
    });
  }

  async record(issued: IssuedTokens): Promise<boolean> {
    return this.recordTx.immediate(issued);
  }
}
