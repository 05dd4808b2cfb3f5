// One token response's records in one SQLite transaction: with SQLITE_SYNCHRONOUS=FULL every commit waits for
// the disk, on the event loop, so three commits per response were most of a code exchange's time.
import type { IssuanceRepository, IssuedTokens } from '../store.js';
import type { SqliteAccessTokenRepository } from './access-tokens.js';
import type { SqliteDatabase } from './database.js';
import type { SqliteRefreshTokenRepository } from './refresh-tokens.js';
import type { SqliteSessionRepository } from './sessions.js';

export class SqliteIssuanceRepository implements IssuanceRepository {
  private readonly recordTx;

  constructor(db: SqliteDatabase, accessTokens: SqliteAccessTokenRepository, sessions: SqliteSessionRepository, refreshTokens: SqliteRefreshTokenRepository) {
    this.recordTx = db.transaction((issued: IssuedTokens) => {
      accessTokens.createNow(issued.accessToken);
      if (issued.sessionClient) sessions.addClientNow(issued.sessionClient.sid, issued.sessionClient.clientId, issued.sessionClient.at);
      if (issued.refreshToken) refreshTokens.createNow(issued.refreshToken);
    });
  }

  async record(issued: IssuedTokens): Promise<void> {
    this.recordTx.immediate(issued);
  }
}
