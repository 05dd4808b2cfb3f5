// What the management API is built with: the app's dependencies it needs (src/http/app.ts passes them).
import type { BreachedPasswords } from '../auth/breached-passwords.js';
import type { SecretBox } from '../auth/secret-box.js';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { SessionTerminator } from '../logout/session-end.js';
import type { Mailer } from '../mail/mailer.js';
import type { KeyRing } from '../signing/key-ring.js';
import type { Store } from '../store/store.js';

export interface ManagementApiDependencies {
  config: Config;
  store: Store;
  clock: Clock;
  keyRing: KeyRing;
  sessionEnd: SessionTerminator;
  mailer: Mailer;
  logger: Logger;
  breachedPasswords: BreachedPasswords | null;
  secretBox: () => Promise<SecretBox>;
}
