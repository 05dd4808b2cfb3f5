// ETags and If-Match of the management API (src/api/etag.ts; RFC 9110 §8.8.3 and §13.1.1, RFC 6585 §3).
import { describe, expect, it } from 'vitest';
import { etagOf, expectedVersion, parseEntityTags } from '../../src/api/etag.js';
import { ApiProblem } from '../../src/api/problem.js';
import { PreconditionFailed, PreconditionRequired } from '../../src/errors.js';

describe('management API ETags (RFC 9110 §8.8.3)', () => {
  it('is a strong tag of the version bound to the resource: another id or version gives another tag', () => {
    expect(etagOf('u1', 3)).toMatch(/^"3-[A-Za-z0-9_-]{12}"$/);
    expect(etagOf('u1', 3)).toBe(etagOf('u1', 3));
    expect(etagOf('u2', 3)).not.toBe(etagOf('u1', 3));
    expect(etagOf('u1', 4)).not.toBe(etagOf('u1', 3));
  });

  it('reads If-Match lists of strong and weak tags, and nothing else', () => {
    expect(parseEntityTags('"a", W/"b" ,"c,d"')).toEqual([
      { weak: false, opaque: 'a' },
      { weak: true, opaque: 'b' },
      { weak: false, opaque: 'c,d' },
    ]);
    for (const bad of ['a', '"a" "b"', '"a', 'W/a', '"a\u0001"']) expect(parseEntityTags(bad)).toBeNull();
  });
});

describe('If-Match (RFC 9110 §13.1.1, RFC 6585 §3)', () => {
  it('names the version of a current tag of this resource, among others in a list', () => {
    expect(expectedVersion(etagOf('u1', 7), 'u1')).toBe(7);
    expect(expectedVersion(`"other", ${etagOf('u2', 1)}, ${etagOf('u1', 2)}`, 'u1')).toBe(2);
  });

  it('requires the header, and refuses * (428)', () => {
    for (const header of [undefined, '', '  ', '*']) expect(() => expectedVersion(header, 'u1')).toThrow(PreconditionRequired);
  });

  it('fails the precondition for a weak tag, another resource’s tag, a forged tag or a foreign one (412)', () => {
    const tag = etagOf('u1', 5);
    for (const header of [`W/${tag}`, etagOf('u2', 5), '"5-AAAAAAAAAAAA"', '"abc"', '"0-AAAAAAAAAAAA"']) expect(() => expectedVersion(header, 'u1')).toThrow(PreconditionFailed);
  });

  it('refuses a header that is not a list of tags, or names two versions of the resource (400)', () => {
    expect(() => expectedVersion('5', 'u1')).toThrow(ApiProblem);
    expect(() => expectedVersion(`${etagOf('u1', 1)}, ${etagOf('u1', 2)}`, 'u1')).toThrow(ApiProblem);
  });
});
