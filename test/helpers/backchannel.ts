// A back-channel logout of its own on a test app's store and keys (issue 26): its own sender (address rules, attempt
// timeout), its own delivery queue (another node: its own lease owner, never started, so only what a test runs
// happens) and the SessionTerminator over them. Close it after the test.
import type { Config } from '../../src/config.js';
import { BackchannelSender, type BackchannelSenderDependencies } from '../../src/delivery/backchannel-sender.js';
import { DeliveryQueue } from '../../src/delivery/queue.js';
import { BackchannelLogout, DEFAULT_BACKCHANNEL_OPTIONS, type BackchannelOptions, type Timers } from '../../src/logout/backchannel.js';
import { SessionTerminator } from '../../src/logout/session-end.js';
import type { RunningApp } from './start-app.js';

export interface OwnBackchannelOptions {
  sender?: Partial<BackchannelSenderDependencies>;
  delivery?: Partial<Config['delivery']>;
  options?: Partial<BackchannelOptions>;
  /** The first-round wait's timers (ManualTimers); the system's when absent. */
  timers?: Timers;
}

export interface OwnBackchannel {
  backchannel: BackchannelLogout;
  queue: DeliveryQueue;
  sessionEnd: SessionTerminator;
  close(): Promise<void>;
}

export function ownBackchannel(app: RunningApp, { sender = {}, delivery = {}, options = {}, timers }: OwnBackchannelOptions = {}): OwnBackchannel {
  const queue = new DeliveryQueue({
    store: app.store,
    clock: app.clock,
    logger: app.logger,
    config: { ...app.config.delivery, ...delivery },
    senders: [
      new BackchannelSender({
        store: app.store,
        clock: app.clock,
        issuer: app.config.issuer,
        signingKey: () => app.keyRing.signingKey,
        logger: app.logger,
        allowPrivateAddresses: app.config.allowPrivateClientUrls,
        registrationAllowPrivateAddresses: app.config.registrationAllowPrivateUrls,
        ...sender,
      }),
    ],
  });
  const backchannel = new BackchannelLogout({ store: app.store, clock: app.clock, queue, logger: app.logger, timers }, { ...DEFAULT_BACKCHANNEL_OPTIONS, ...options });
  return {
    backchannel,
    queue,
    sessionEnd: new SessionTerminator(app.store, app.clock, backchannel),
    async close() {
      await backchannel.close();
      await queue.close();
    },
  };
}
