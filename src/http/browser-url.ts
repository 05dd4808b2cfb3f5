// URLs an application registered that a page of ours shows to the browser (a logo it loads, a link it follows):
// the registration rules allow only https (and http on loopback), and the check is repeated where the value lands
// in an `src` or `href`, because a row from an old import, or written before a rule existed, must never become a
// javascript: link or mixed content. The server never fetches them.

/** `uri` parsed, when it is one of `schemes` and carries no credentials; null otherwise. */
export function browserUrl(uri: string | null, schemes: readonly string[]): URL | null {
  if (uri === null) return null;
  try {
    const url = new URL(uri);
    return schemes.includes(url.protocol) && url.username === '' && url.password === '' ? url : null;
  } catch {
    return null;
  }
}

/** A logo the person's browser loads from the application's server: https only (never mixed content). */
export function logoUrl(uri: string | null): string | null {
  return browserUrl(uri, ['https:'])?.toString() ?? null;
}

/** A page the application names (home page, policy, terms): the link, and its host name shown as text. */
export interface LinkedPage {
  href: string;
  host: string;
}

/** The page as a link with its host, when it is an http(s) URL; null otherwise. */
export function linkedPage(uri: string | null): LinkedPage | null {
  const url = browserUrl(uri, ['https:', 'http:']);
  return url ? { href: url.toString(), host: url.hostname } : null;
}
