// /api/v1/keys: the keys that sign ID and access tokens (scope manage:keys), on the rules of src/manage/keys.ts that
// `idp keys` and the admin Signing keys screen use. The private keys never leave the key store: the API shows each
// key's id, algorithm, size, state and times. A rotation publishes a new key that signs after KEY_PREPUBLISH (or at a
// later `activates_at`, or at once with `immediately: true`, for emergencies); its answer names the applications not
// known to have fetched the JWKS since (as `idp keys rotate --json` does: src/signing/key-readiness.ts). A revocation
// takes a compromised key out of the JWKS at once and revokes what it signed. After either, this server's key ring
// reloads at once; other nodes follow their key store.
import { z } from 'zod';
import { NotFoundError, ValidationError } from '../errors.js';
import { keyJson, notReadyJson } from '../manage/key-json.js';
import { keySchedule, revokeKey, rotateKey, type KeyContext } from '../manage/keys.js';
import { notReadyClients, readiness } from '../signing/key-readiness.js';
import { keyPolicy } from '../signing/key-schedule.js';
import type { ManagementApiDependencies } from './dependencies.js';
import { defineOperation, type ApiContext, type ApiOperation } from './operation.js';
import { timestamp } from './schemas.js';

const TAG = 'keys';
const SCOPE = 'manage:keys';

const at = timestamp.nullable();

export const keySchema = z
  .strictObject({
    kid: z.string(),
    alg: z.string(),
    bits: z.number().int(),
    state: z.enum(['pending', 'active', 'published', 'retired', 'revoked']),
    published: z.boolean().describe('In the JWKS now.'),
    created_at: timestamp.describe('Published from this time.'),
    activates_at: at.describe('When it signs (or signed) first.'),
    activated_at: at.describe('Set once activates_at is past.'),
    retires_at: at.describe('When it leaves the JWKS (expected, or decided: retirement_decided).'),
    retired_at: at,
    retirement_decided: z.boolean(),
    revoked_at: at,
  })
  .meta({ title: 'SigningKey' });

const notReadySchema = z.strictObject({
  client_id: z.string(),
  name: z.string(),
  state: z.enum(['ready', 'waiting', 'unknown']),
  last_seen_at: timestamp,
  last_jwks_fetch_at: at,
});

function keyContext(deps: ManagementApiDependencies, manage: ApiContext<unknown, unknown, unknown>['manage']): KeyContext {
  return { ...manage, keys: deps.keyRing.keyStore, policy: keyPolicy(deps.config) };
}

const kidParams = z.strictObject({
  kid: z
    .string()
    .min(1)
    .max(200)
    .regex(/^[A-Za-z0-9._~:-]+$/, 'not a key id'),
});

const listKeys = defineOperation({
  operationId: 'listKeys',
  method: 'get',
  path: '/keys',
  scope: SCOPE,
  tag: TAG,
  summary: 'List signing keys, newest first, with their state now',
  response: z.strictObject({ items: z.array(keySchema) }),
  status: 200,
  async handler({ deps, manage }) {
    const schedule = await keySchedule(keyContext(deps, manage));
    return { body: { items: schedule.keys.map((timeline) => keyJson(timeline, schedule.at)) } };
  },
});

const getKey = defineOperation({
  operationId: 'getKey',
  method: 'get',
  path: '/keys/{kid}',
  scope: SCOPE,
  tag: TAG,
  summary: 'Read a signing key',
  params: kidParams,
  response: keySchema,
  status: 200,
  async handler({ deps, manage, params }) {
    const schedule = await keySchedule(keyContext(deps, manage));
    const timeline = schedule.keys.find((candidate) => candidate.key.kid === params.kid);
    if (!timeline) throw new NotFoundError(`no signing key ${JSON.stringify(params.kid)}`);
    return { body: keyJson(timeline, schedule.at) };
  },
});

const rotate = defineOperation({
  operationId: 'rotateKey',
  method: 'post',
  path: '/keys/rotate',
  scope: SCOPE,
  tag: TAG,
  summary: 'Publish a new signing key',
  description:
    'The new key is in the JWKS at once and signs after KEY_PREPUBLISH, or at `activates_at` (later than that, within a year), or at once with `immediately: true` ' +
    '(relying parties with a cached JWKS then refuse its tokens until they fetch it again). `not_ready` lists the applications not known to have fetched the JWKS since it was published.',
  body: z.strictObject({
    immediately: z.boolean().optional(),
    activates_at: z.iso.datetime({ offset: true }).optional().describe('RFC 3339 date and time.'),
  }),
  response: keySchema.extend({ previous_kid: z.string().nullable(), not_ready: z.array(notReadySchema) }).meta({ title: 'KeyRotation' }),
  status: 201,
  async handler({ deps, manage, body }) {
    const activatesAt = body.activates_at === undefined ? undefined : Date.parse(body.activates_at);
    if (body.immediately === true && activatesAt !== undefined) throw new ValidationError('activates_at', 'give either immediately or activates_at, not both');
    const { key, previous } = await rotateKey(keyContext(deps, manage), { immediately: body.immediately === true, activatesAt });
    await deps.keyRing.reload();
    const now = deps.clock.now();
    const notReady = notReadyClients(await readiness(deps.store, { schedule: { keys: [key] } }, now, key.key.kid));
    return { body: { ...keyJson(key, now), previous_kid: previous?.kid ?? null, not_ready: notReady.map(notReadyJson) }, location: `/keys/${key.key.kid}` };
  },
});

const revoke = defineOperation({
  operationId: 'revokeKey',
  method: 'post',
  path: '/keys/{kid}/revoke',
  scope: SCOPE,
  tag: TAG,
  summary: 'Revoke a compromised signing key',
  description:
    'It leaves the JWKS at once and never signs again; every grant and session with tokens it signed is revoked. When it was the signing key, the earliest scheduled key, ' +
    'or else a new one, signs from now on. 409 when it was revoked already.',
  params: kidParams,
  response: keySchema
    .extend({
      was_signing: z.boolean(),
      replacement: keySchema.extend({ source: z.enum(['scheduled', 'new']) }).nullable(),
      grants_revoked: z.number().int(),
      refresh_tokens_revoked: z.number().int(),
      access_tokens_revoked: z.number().int(),
      sessions_ended: z.number().int(),
    })
    .meta({ title: 'KeyRevocation' }),
  status: 200,
  async handler({ deps, manage, params }) {
    const result = await revokeKey(keyContext(deps, manage), params.kid);
    await deps.keyRing.reload();
    const now = deps.clock.now();
    return {
      body: {
        ...keyJson(result.key, now),
        was_signing: result.wasSigning,
        replacement: result.replacement ? { ...keyJson(result.replacement.key, now), source: result.replacement.source } : null,
        grants_revoked: result.grants,
        refresh_tokens_revoked: result.refreshTokens,
        access_tokens_revoked: result.accessTokens,
        sessions_ended: result.sessions,
      },
    };
  },
});

// The literal path before the templated one, so that a reader matching paths in order (as the tests do) finds it.
export const keyOperations: readonly ApiOperation[] = [listKeys, rotate, getKey, revoke];
