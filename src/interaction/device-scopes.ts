// What a device asks for, in words a person reads before choosing Allow or Deny at /device (RFC 8628 §5.4: the
// person must be able to tell what they are agreeing to, and to whom). The sentences are shared with the consent
// page and Connected apps (scope-sentences.ts). The device page's Allow is itself an explicit consent, per device
// code: the device flow never reads or writes the stored consents of issue 24.
import type { ClientRecord, DeviceCodeRecord } from '../store/records.js';
import type { Store } from '../store/store.js';
import type { ClaimCatalog } from '../oidc/claim-catalog.js';
import { describeScopes, type RequestView, type SentenceLocale } from './scope-sentences.js';

export type { ApiRequestView, RequestView } from './scope-sentences.js';

/** What the pending authorization asks for, read for the approval page, in the page's language. */
export function describeRequest(
  deps: { store: Store; claimCatalog: Pick<ClaimCatalog, 'definitions'> },
  client: Pick<ClientRecord, 'name'>,
  record: Pick<DeviceCodeRecord, 'scope' | 'resources'>,
  locale?: SentenceLocale,
): Promise<RequestView> {
  return describeScopes(deps.store, deps.claimCatalog, client, record.scope.split(' ').filter(Boolean), record.resources, locale);
}
