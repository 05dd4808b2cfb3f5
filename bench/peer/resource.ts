// The one resource server (API) the same-work peer issues JWT access tokens for (bench/peer/same-work.ts): an
// identifier (RFC 8707 §2: an absolute URI), never contacted. Its own module, so that a test can name it without
// loading oidc-provider.
export const BENCH_RESOURCE = 'urn:gatehouse:bench:api';
