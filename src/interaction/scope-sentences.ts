// What an application may do with a person's account, in words a person reads before choosing Allow or Deny: the
// device approval page (RFC 8628 §5.4), the consent page (OIDC Core §3.1.2.4, issue 24) and the account's
// "Connected apps" (issue 24). The OpenID Connect scopes as sentences, an attribute's scope by the attributes it
// releases, and each API's scopes (issue 22) under the API's name with the description its administrator wrote.
// Every string here reaches a page through ejs's escaping. The sentences are in the page's language (issue 25,
// section `scopes` of locales/*.json); what an administrator wrote (attribute names, API names and descriptions)
// is shown as written.
import { translatorFor, type Translate } from '../i18n/catalog.js';
import type { Language } from '../i18n/languages.js';
import type { AttributeDefinition, ClientRecord } from '../store/records.js';
import type { Store } from '../store/store.js';
import type { ClaimCatalog } from '../oidc/claim-catalog.js';

/** The language the sentences are written in, and its translator (a PageLocale fits). */
export interface SentenceLocale {
  language: Language;
  t: Translate;
}

const ENGLISH: SentenceLocale = { language: 'en', t: translatorFor('en') };

/** An API a token is asked for, and what the application may do there. */
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

/**
 * "a", "a and b", "a, b and c": the language's own list (Intl.ListFormat, CLDR). English as en-GB, without the
 * serial comma, as these pages have always written it.
 */
function listed(items: readonly string[], language: Language): string {
  return new Intl.ListFormat(language === 'en' ? 'en-GB' : language, { style: 'long', type: 'conjunction' }).format(items);
}

/** The sentence of a built-in scope; null for any other. */
function builtinSentence(scope: string, client: Pick<ClientRecord, 'name'>, t: Translate): string | null {
  switch (scope) {
    case 'openid':
      return t('scopes.openid');
    case 'profile':
      return t('scopes.profile');
    case 'email':
      return t('scopes.email');
    case 'offline_access':
      // OIDC Core §11: a refresh token that outlives the sign-in session; the person is told in these words.
      return t('scopes.offlineAccess', { app: client.name });
    case 'groups':
      return t('scopes.groups');
    default:
      return null;
  }
}

/** The sentences of the OpenID Connect and attribute scopes, in the order asked. */
function aboutYou(
  scope: readonly string[],
  client: Pick<ClientRecord, 'name'>,
  attributes: readonly AttributeDefinition[],
  apiScopes: ReadonlySet<string>,
  { language, t }: SentenceLocale,
): string[] {
  const sentences: string[] = [];
  for (const name of scope) {
    const released = attributes.filter((attribute) => attribute.scope === name).map(spoken);
    const builtin = builtinSentence(name, client, t);
    if (builtin !== null) sentences.push(released.length > 0 ? t('scopes.withAttributes', { sentence: builtin, attributes: listed(released, language) }) : builtin);
    else if (released.length > 0) sentences.push(t('scopes.attributes', { attributes: listed(released, language) }));
    // A scope one of the named APIs defines is shown under that API; any other is shown by its name, never hidden.
    else if (!apiScopes.has(name)) sentences.push(t('scopes.permission', { name }));
  }
  return sentences;
}

/**
 * What `scope` lets `client` do, for a page. `resources` are the APIs the grant names (RFC 8707): each is listed
 * with the scopes of `scope` it defines (an API deleted meanwhile is left out: its token would be refused). A
 * caller without resources (Connected apps) passes []. The sentences are in `locale`'s language (the page's:
 * `localeOf(req)`); English when none is given.
 */
export async function describeScopes(
  store: Pick<Store, 'apis'>,
  catalog: Pick<ClaimCatalog, 'definitions'>,
  client: Pick<ClientRecord, 'name'>,
  scope: readonly string[],
  resources: readonly string[],
  locale: SentenceLocale = ENGLISH,
): Promise<RequestView> {
  const [attributes, apis] = await Promise.all([catalog.definitions(), Promise.all(resources.map((identifier) => store.apis.findByIdentifier(identifier)))]);
  const apiViews: ApiRequestView[] = [];
  const apiScopes = new Set<string>();
  for (const api of apis) {
    if (!api) continue;
    const asked = api.scopes.filter((defined) => scope.includes(defined.name));
    for (const defined of asked) apiScopes.add(defined.name);
    apiViews.push({ name: api.name, scopes: asked.map((defined) => defined.description || defined.name) });
  }
  return { about: aboutYou(scope, client, attributes, apiScopes, locale), apis: apiViews };
}
