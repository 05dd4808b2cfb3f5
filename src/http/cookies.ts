// The cookies Gatehouse sets: names and attributes decided once from the issuer. On https they take the
// __Host- prefix (Secure, Path=/, no Domain), so no sibling subdomain can plant or overwrite them.
import { parse, serialize, type SerializeOptions } from 'cookie';
import type { Request, Response } from 'express';
import type { Config } from '../config.js';

/**
 * `language`: the switcher's choice (issue 25); `time_zone`: the browser's IANA zone, written by
 * public/time-zone.js (so not httpOnly: it is no secret and only ever read as a zone name Intl knows).
 */
export type CookieName = 'session' | 'browser' | 'language' | 'time_zone';

export class Cookies {
  private readonly secure: boolean;
  private readonly prefix: string;

  constructor(config: Config) {
    this.secure = config.issuer.startsWith('https:');
    this.prefix = this.secure ? '__Host-gatehouse_' : 'gatehouse_';
  }

  name(cookie: CookieName): string {
    return this.prefix + cookie;
  }

  read(req: Request, cookie: CookieName): string | undefined {
    const header = req.headers.cookie;
    if (!header) return undefined;
    return parse(header)[this.name(cookie)];
  }

  /** HttpOnly and SameSite=Lax always: scripts never read them, and cross-site POSTs never carry them. */
  set(res: Response, cookie: CookieName, value: string, maxAgeSeconds?: number): void {
    const options: SerializeOptions = { httpOnly: true, sameSite: 'lax', secure: this.secure, path: '/' };
    if (maxAgeSeconds !== undefined) options.maxAge = maxAgeSeconds;
    res.append('Set-Cookie', serialize(this.name(cookie), value, options));
  }

  /** Tells the browser to drop the cookie (same name and attributes, expired). */
  clear(res: Response, cookie: CookieName): void {
    res.append('Set-Cookie', serialize(this.name(cookie), '', { httpOnly: true, sameSite: 'lax', secure: this.secure, path: '/', maxAge: 0 }));
  }
}
