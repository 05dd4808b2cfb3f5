// What the machine can do at most, measured in the same run as the servers: RS256 signatures per second and
// argon2id verifications per second (Gatehouse's parameters), each from as many concurrent calls as libuv's
// thread pool runs at once. A server can approach these ceilings, never pass them.
import argon2 from 'argon2';
import { generateKeyPair, SignJWT } from 'jose';

const POOL = Number(process.env.UV_THREADPOOL_SIZE ?? 4);

async function perSecond(durationMs: number, concurrency: number, work: () => Promise<unknown>): Promise<number> {
  let done = 0;
  const end = performance.now() + durationMs;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        await work();
        done++;
      }
    }),
  );
  return done / (durationMs / 1000);
}

export async function rs256Ceiling(durationMs: number): Promise<number> {
  const { privateKey } = await generateKeyPair('RS256', { modulusLength: 2048 });
  const claims = { iss: 'https://idp.example', sub: 'bench', aud: 'client', nonce: 'n'.repeat(43) };
  return perSecond(durationMs, POOL, () => new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'k' }).setIssuedAt().setExpirationTime('1h').sign(privateKey));
}

export async function argon2Ceiling(durationMs: number, password: string): Promise<number> {
  const hash = await argon2.hash(password, { type: argon2.argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 });
  return perSecond(durationMs, POOL, () => argon2.verify(hash, password));
}
