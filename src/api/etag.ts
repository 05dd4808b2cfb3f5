// ETags and If-Match for the management API (RFC 9110 §8.8.3 and §13.1.1): the optimistic concurrency that keeps two
// scripts from overwriting each other's changes. Every user, client, group and API has a version that grows by one at
// each update (migration 0017); its ETag is that version bound to the resource's id:
//
//   "<version>-<first 12 characters of base64url(SHA-256("<id>:<version>"))>"   e.g. "3-q8Xo1vH2cYtM"
//
// Clients treat it as opaque. The version in front lets the server turn an If-Match into the condition of one
// conditional write (store update/delete with onlyIfVersion) without reading first; the hash binds it to the
// resource, so an ETag read from one user never matches another user that happens to be at the same version. ETags
// are strong: a change of any field makes a new one.
//
// A PATCH or DELETE must send If-Match with the ETag it read: without one, 428 (RFC 6585 §3); `If-Match: *` is not
// taken either (428: "whatever is there" is the lost update the header exists to prevent); an ETag that is not the
// current one, 412 (RFC 9110 §13.1.1), also when another request changed the resource between the read and the write.
import { createHash } from 'node:crypto';
import { PreconditionFailed, PreconditionRequired } from '../errors.js';
import { ApiProblem } from './problem.js';

const TAG_LENGTH = 12;

function tagOf(id: string, version: number): string {
  return createHash('sha256').update(`${id}:${version}`).digest('base64url').slice(0, TAG_LENGTH);
}

/** The ETag header value (quotes included) of resource `id` at `version`. */
export function etagOf(id: string, version: number): string {
  return `"${version}-${tagOf(id, version)}"`;
}

// RFC 9110 §8.8.3: entity-tag = [ W/ ] DQUOTE *etagc DQUOTE, etagc = %x21 / %x23-7E / obs-text; lists are
// comma-separated with optional whitespace (§5.6.1).
const ENTITY_TAG = /^\s*(W\/)?"([\x21\x23-\x7e\x80-\xff]*)"\s*(?:,|$)/;
const OURS = /^([1-9][0-9]{0,14})-([A-Za-z0-9_-]{12})$/;

/** The entity tags of an If-Match list, each with whether it is weak; null when the header is not such a list. */
export function parseEntityTags(header: string): { weak: boolean; opaque: string }[] | null {
  const tags: { weak: boolean; opaque: string }[] = [];
  let rest = header;
  // Bounded: every round consumes at least the two quotes of one tag.
  while (rest.trim() !== '') {
    const match = ENTITY_TAG.exec(rest);
    if (!match) return null;
    tags.push({ weak: match[1] !== undefined, opaque: match[2] ?? '' });
    rest = rest.slice(match[0].length);
  }
  return tags.length > 0 ? tags : null;
}

const READ_FIRST = 'read the resource (GET) and send its ETag in If-Match';

/**
 * The version an If-Match header names for resource `id`: the write is then made only while the resource is at it.
 * Missing or `*`: PreconditionRequired (428). Not a list of entity tags, or tags of several versions of this
 * resource: 400. No strong tag of ours for this resource: PreconditionFailed (412), as a tag that cannot be current.
 */
export function expectedVersion(header: string | undefined, id: string): number {
  if (header === undefined || header.trim() === '') throw new PreconditionRequired(`this change needs If-Match: ${READ_FIRST}`);
  if (header.trim() === '*') throw new PreconditionRequired(`If-Match: * is not accepted, since it would overwrite changes you have not seen: ${READ_FIRST}`);
  const tags = parseEntityTags(header);
  if (tags === null) throw new ApiProblem('validation', 'If-Match is not a list of entity tags', [{ field: 'If-Match', message: 'not a list of entity tags' }]);
  const versions = new Set<number>();
  for (const tag of tags) {
    // RFC 9110 §13.1.1: If-Match uses the strong comparison, which a weak tag never passes.
    const ours = tag.weak ? null : OURS.exec(tag.opaque);
    if (!ours?.[1]) continue;
    const version = Number(ours[1]);
    if (ours[2] === tagOf(id, version)) versions.add(version);
  }
  if (versions.size > 1) throw new ApiProblem('validation', 'If-Match names several versions of this resource: send the one ETag you read', [{ field: 'If-Match', message: 'several versions' }]);
  const [version] = versions;
  if (version === undefined) throw new PreconditionFailed(`the resource has changed since it was read, or the ETag is not one of its own: ${READ_FIRST} again`);
  return version;
}
