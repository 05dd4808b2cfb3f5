// The `idp` command: the same configuration (environment) and store as the server.
import { Command } from 'commander';
import { registerAdminCommands } from './admin.js';
import { registerApiCommands } from './api.js';
import { registerAttributeCommands } from './attribute.js';
import { registerAuditCommands } from './audit.js';
import { registerBackupCommands } from './backup.js';
import { registerClientCommands } from './client.js';
import { registerGroupCommands } from './group.js';
import { registerKeyCommands } from './keys.js';
import { registerProviderCommands } from './provider.js';
import { registerRegistrationCommands } from './registration.js';
import { registerTransferCommands } from './transfer.js';
import { registerUserCommands } from './user.js';
import { registerWebhookCommands } from './webhook.js';

const program = new Command('idp')
  .description('Administer a Gatehouse identity provider (reads the same environment as the server: DATA_DIR, KEYS_DIR, …)')
  .showHelpAfterError('(add --help for usage)');

registerUserCommands(program);
registerClientCommands(program);
registerGroupCommands(program);
registerAttributeCommands(program);
registerApiCommands(program);
registerProviderCommands(program);
registerRegistrationCommands(program);
registerKeyCommands(program);
registerTransferCommands(program);
registerBackupCommands(program);
registerAuditCommands(program);
registerAdminCommands(program);
registerWebhookCommands(program);

await program.parseAsync(process.argv);
