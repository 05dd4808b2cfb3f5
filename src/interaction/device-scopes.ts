// What a device asks for, in words a person reads before choosing Allow or Deny at /device (RFC 8628 §5.4: the
// person must be able to tell what they are agreeing to, and to whom). The OpenID Connect scopes as sentences, an
// attribute's scope by the attributes it releases, and each API's scopes (issue 22) under the API's name with the
// description its administrator wrote. Every string here reaches the page through ejs's escaping.
import type { AttributeDefinition, ClientRecord, DeviceCodeRecord } from '../store/records.js';
import type { Store } from '../store/store.js';
import type { ClaimCatalog } from '../oidc/claim-catalog.js';

/** An API the device asks a token for, and what it may do there. */
export interface ApiRequestView {
  name: string;
  /** One line per scope: the scope's description, or its name when it has none. */
  scopes: string[];
}

export interface RequestView {
  /** Sentences about the person's own details and sign-in. */
  about: string[];
  apis: ApiRequestView[];
}

/** An attribute's name as a person reads it: `cost_centre` → "cost centre". */
function spoken(attribute: AttributeDefinition): string {
  return attribute.name.replace(/_/g, ' ');
}

/** "a", "a and b", "a, b and c". */
function listed(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items.at(-1) ?? ''}`;
}

/** The sentence of a built-in scope; null for any other. */
function builtinSentence(scope: string, client: Pick<ClientRecord, 'name'>): string | null {
  switch (scope) {
    case 'openid':
      return 'Know who you are';
    case 'profile':
      return 'See your name';
    case 'email':
      return 'See your email address';
    case 'offline_access':
      return `Stay signed in to ${client.name} while you're away`;
    case 'groups':
      return 'See your groups';
    default:
      return null;
  }
}

/** The sentences of the OpenID Connect and attribute scopes, in the order asked. */
function aboutYou(scope: readonly string[], client: Pick<ClientRecord, 'name'>, attributes: readonly AttributeDefinition[], apiScopes: ReadonlySet<string>): string[] {
  const sentences: string[] = [];
  for (const name of scope) {
    const released = attributes.filter((attribute) => attribute.scope === name).map(spoken);
    const builtin = builtinSentence(name, client);
    if (builtin !== null) sentences.push(released.length > 0 ? `${builtin}, and your ${listed(released)}` : builtin);
    else if (released.length > 0) sentences.push(`See your ${listed(released)}`);
    // A scope one of the APIs defines is shown under that API; anything else was dropped when the device asked.
    else if (!apiScopes.has(name)) sentences.push(`Use the permission “${name}”`);
  }
  return sentences;
}

/** What the pending authorization asks for, read for the approval page. */
export async function describeRequest(
  deps: { store: Store; claimCatalog: Pick<ClaimCatalog, 'definitions'> },
  client: Pick<ClientRecord, 'name'>,
  record: Pick<DeviceCodeRecord, 'scope' | 'resources'>,
): Promise<RequestView> {
  const scope = record.scope.split(' ').filter(Boolean);
  const [attributes, apis] = await Promise.all([deps.claimCatalog.definitions(), Promise.all(record.resources.map((identifier) => deps.store.apis.findByIdentifier(identifier)))]);
  const apiViews: ApiRequestView[] = [];
  const apiScopes = new Set<string>();
  for (const api of apis) {
    // An API deleted since the device asked: its token will be refused (invalid_target), nothing to show.
    if (!api) continue;
    const asked = api.scopes.filter((defined) => scope.includes(defined.name));
    for (const defined of asked) apiScopes.add(defined.name);
    apiViews.push({ name: api.name, scopes: asked.map((defined) => defined.description || defined.name) });
  }
  return { about: aboutYou(scope, client, attributes, apiScopes), apis: apiViews };
}
