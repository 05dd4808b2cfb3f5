// A small stand-in for a browser over real HTTP: keeps cookies per origin, never follows redirects on its
// own (tests look at each hop), and fills in the login form the way a person would.
export interface Page {
  status: number;
  url: string;
  location: string | null;
  headers: Headers;
  body: string;
}

export class Browser {
  private readonly jar = new Map<string, Map<string, string>>();

  /** One request, no redirect following; stores the cookies the answer sets. */
  async request(url: string, init: RequestInit = {}): Promise<Page> {
    const origin = new URL(url).origin;
    const cookies = this.jar.get(origin) ?? new Map<string, string>();
    const headers = new Headers(init.headers);
    if (cookies.size > 0) headers.set('Cookie', [...cookies].map(([name, value]) => `${name}=${value}`).join('; '));
    const response = await fetch(url, { ...init, headers, redirect: 'manual' });
    for (const line of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attributes.some((a) => /^\s*max-age=0\s*$/i.test(a));
      if (expired || value === '') cookies.delete(name);
      else cookies.set(name, value);
    }
    this.jar.set(origin, cookies);
    const location = response.headers.get('location');
    return { status: response.status, url, location: location ? new URL(location, url).toString() : null, headers: response.headers, body: await response.text() };
  }

  get(url: string): Promise<Page> {
    return this.request(url);
  }

  postForm(url: string, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<Page> {
    return this.request(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(fields).toString(),
    });
  }

  /** Follows redirects while they stay on `origin`; returns the first answer that is not such a redirect. */
  async follow(page: Page, origin: string, maxHops = 10): Promise<Page> {
    let current = page;
    for (let hop = 0; hop < maxHops && current.location && new URL(current.location).origin === origin; hop++) {
      current = await this.get(current.location);
    }
    return current;
  }

  cookie(origin: string, name: string): string | undefined {
    return this.jar.get(origin)?.get(name);
  }

  setCookie(origin: string, name: string, value: string): void {
    const cookies = this.jar.get(origin) ?? new Map<string, string>();
    cookies.set(name, value);
    this.jar.set(origin, cookies);
  }
}

/** The hidden and visible fields of the forms on a page (but the language switcher), as a person submitting it would send them. */
export function formFields(html: string): Record<string, string> {
  const fields: Record<string, string> = {};
  // Every page also ends with the language switcher's form (issue 25): its fields are not the page's.
  const page = html.replace(/<form\b[^>]*class="language-switcher"[\s\S]*?<\/form>/g, '');
  for (const match of page.matchAll(/<input\b([^>]*)>/g)) {
    const attributes = match[1] ?? '';
    const name = /\bname="([^"]*)"/.exec(attributes)?.[1];
    const value = /\bvalue="([^"]*)"/.exec(attributes)?.[1] ?? '';
    if (name) fields[name] = value.replace(/&#34;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
  }
  return fields;
}

/** The fields of the language switcher's form (issue 25), the last form of every page a person sees. */
export function switcherFields(html: string): Record<string, string> {
  const form = /<form\b[^>]*class="language-switcher"[\s\S]*?<\/form>/.exec(html)?.[0];
  if (!form) throw new Error('no language switcher on the page');
  const fields: Record<string, string> = {};
  for (const match of form.matchAll(/<input\b([^>]*)>/g)) {
    const name = /\bname="([^"]*)"/.exec(match[1] ?? '')?.[1];
    if (name) fields[name] = (/\bvalue="([^"]*)"/.exec(match[1] ?? '')?.[1] ?? '').replace(/&amp;/g, '&');
  }
  return fields;
}

export function formAction(html: string, base: string): string {
  const action = /<form\b[^>]*\baction="([^"]*)"/.exec(html)?.[1];
  if (!action) throw new Error('no form on the page');
  return new URL(action, base).toString();
}
