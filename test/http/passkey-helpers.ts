// A software authenticator and the JSON steps of the passkey routes, for the passkey suites beyond
// passkeys.test.ts (whose own copy is private to it): the same P-256 key and "none" attestation, with the knobs
// the edge cases need — the flags byte (UV, backup eligibility and state), the counter, the user handle, the
// transports, and a "packed" self-attestation (WebAuthn §8.2) whose signature may be forged.
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { expect } from 'vitest';
import { type Browser, formFields, type Page } from '../helpers/browser.js';

export const b64u = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');
const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest();

/** Authenticator data flags (WebAuthn §6.1): user present, user verified, backup eligible, backed up, attested data. */
export const FLAGS = { UP: 0x01, UV: 0x04, BE: 0x08, BS: 0x10, AT: 0x40 } as const;

/** CBOR (RFC 8949) heads, enough for an attestation object. */
function head(major: number, length: number): Buffer {
  if (length < 24) return Buffer.from([(major << 5) | length]);
  if (length < 256) return Buffer.from([(major << 5) | 24, length]);
  const out = Buffer.alloc(3);
  out[0] = (major << 5) | 25;
  out.writeUInt16BE(length, 1);
  return out;
}
const cborText = (text: string) => Buffer.concat([head(3, Buffer.byteLength(text)), Buffer.from(text)]);
const cborBytes = (bytes: Buffer) => Buffer.concat([head(2, bytes.length), bytes]);

export interface AttestationOptions {
  flags?: number;
  /** null to send none. */
  transports?: string[] | null;
  /** A "packed" self-attestation signed by `signer` (this key when true), instead of "none". */
  packed?: KeyObject | true;
}

export interface AssertionOptions {
  counter?: number;
  signer?: KeyObject;
  flags?: number;
  /** The user handle to send, base64url; null to send none. The owner's by default. */
  userHandle?: string | null;
}

/** A software authenticator holding one discoverable P-256 credential for one person. */
export class SoftKey {
  readonly id = b64u(randomBytes(16));
  counter = 0;
  private readonly key: { privateKey: KeyObject; publicKey: KeyObject } = generateKeyPairSync('ec', { namedCurve: 'P-256' });

  constructor(
    private readonly origin: string,
    private readonly userId: string,
  ) {}

  /** The COSE_Key (RFC 9052 §7): kty EC2, alg ES256, crv P-256, x, y. */
  cose(): Buffer {
    const jwk = this.key.publicKey.export({ format: 'jwk' });
    const coord = (value: string | undefined) => Buffer.from(value ?? '', 'base64url');
    return Buffer.concat([Buffer.from([0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21, 0x58, 0x20]), coord(jwk.x), Buffer.from([0x22, 0x58, 0x20]), coord(jwk.y)]);
  }

  private clientData(type: string, challenge: string): Buffer {
    return Buffer.from(JSON.stringify({ type, challenge, origin: this.origin, crossOrigin: false }));
  }

  private authData(flags: number, counter: number, attested = Buffer.alloc(0)): Buffer {
    const count = Buffer.alloc(4);
    count.writeUInt32BE(counter);
    return Buffer.concat([sha256(new URL(this.origin).hostname), Buffer.from([flags]), count, attested]);
  }

  /** What startRegistration() passes on: flags UP, UV and AT by default; "none" attestation unless `packed`. */
  attestation(challenge: string, { flags = FLAGS.UP | FLAGS.UV | FLAGS.AT, transports = ['internal'], packed }: AttestationOptions = {}) {
    const id = Buffer.from(this.id, 'base64url');
    const length = Buffer.alloc(2);
    length.writeUInt16BE(id.length);
    const clientDataJSON = this.clientData('webauthn.create', challenge);
    const authData = this.authData(flags, 0, Buffer.concat([Buffer.alloc(16), length, id, this.cose()]));
    let statement = [cborText('none'), Buffer.from([0xa0])];
    if (packed) {
      const signer = packed === true ? this.key.privateKey : packed;
      const sig = sign('sha256', Buffer.concat([authData, sha256(clientDataJSON)]), signer);
      statement = [cborText('packed'), Buffer.concat([Buffer.from([0xa2]), cborText('alg'), Buffer.from([0x26]), cborText('sig'), cborBytes(sig)])];
    }
    const attestationObject = Buffer.concat([Buffer.from([0xa3]), cborText('fmt'), statement[0]!, cborText('attStmt'), statement[1]!, cborText('authData'), cborBytes(authData)]);
    const response: Record<string, unknown> = { clientDataJSON: b64u(clientDataJSON), attestationObject: b64u(attestationObject) };
    if (transports !== null) response.transports = transports;
    return { id: this.id, rawId: this.id, type: 'public-key', response, clientExtensionResults: {} };
  }

  /** What startAuthentication() passes on: flags UP and UV, the counter, signed with `signer` (this key by default). */
  assertion(challenge: string, { counter = ++this.counter, signer = this.key.privateKey, flags = FLAGS.UP | FLAGS.UV, userHandle = b64u(Buffer.from(this.userId)) }: AssertionOptions = {}) {
    const clientDataJSON = this.clientData('webauthn.get', challenge);
    const authenticatorData = this.authData(flags, counter);
    const signature = sign('sha256', Buffer.concat([authenticatorData, sha256(clientDataJSON)]), signer);
    const response: Record<string, string> = { clientDataJSON: b64u(clientDataJSON), authenticatorData: b64u(authenticatorData), signature: b64u(signature) };
    if (userHandle !== null) response.userHandle = userHandle;
    return { id: this.id, rawId: this.id, type: 'public-key', clientExtensionResults: {}, response };
  }
}

export interface JsonAnswer {
  status: number;
  location: string | null;
  headers: Headers;
  json: Record<string, any>;
}

export async function postJson(browser: Browser, url: string, body: unknown, contentType = 'application/json'): Promise<JsonAnswer> {
  const page = await browser.request(url, { method: 'POST', headers: { 'Content-Type': contentType, Accept: 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return {
    status: page.status,
    location: page.location,
    headers: page.headers,
    json: page.headers.get('content-type')?.startsWith('application/json') ? (JSON.parse(page.body) as Record<string, any>) : {},
  };
}

/** What public/passkeys.js sends from the login page: the password form's target and CSRF token. */
export function passkeyFields(page: Page): Record<string, string> {
  expect(page.body, `status ${page.status}`).toContain('data-passkey-sign-in hidden');
  const fields = formFields(page.body);
  return Object.fromEntries(['request', 'return_to', 'csrf'].filter((name) => name in fields).map((name) => [name, fields[name] ?? '']));
}
