// What every benchmark scenario needs of a server under test, whichever it is: where it is, the one
// confidential client and the one user it was configured with, and its process (for RSS and stopping).
import type { ChildProcess } from 'node:child_process';

/** The peer's set-ups (bench/peer/same-work.ts): 'oidc-provider' is the default one (in memory, opaque access tokens). */
export type TargetName = 'gatehouse' | 'gatehouse-postgres' | 'oidc-provider' | 'oidc-provider-same-work' | 'oidc-provider-same-work-postgres';

export interface BenchClient {
  clientId: string;
  clientSecret: string;
  /** Registered exactly; the flow driver stops at a redirect to it and reads the code. */
  redirectUri: string;
}

export interface BenchUser {
  email: string;
  password: string;
}

export interface Target {
  name: TargetName;
  /** The issuer, e.g. http://127.0.0.1:41234; discovery is at `${issuer}/.well-known/openid-configuration`. */
  issuer: string;
  client: BenchClient;
  user: BenchUser;
  /** The server process: RSS is read from /proc/<pid>/status. */
  process: ChildProcess;
  /** Milliseconds from spawn to the first 200 on discovery. */
  coldStartMs: number;
  /** SIGTERM, then SIGKILL after 5 s; resolves once the process has exited and its files are removed. */
  stop(): Promise<void>;
  /** Stops the process and starts it again on the same port, database and keys (the peer's; for its smoke test). */
  restart?(): Promise<Target>;
}

/** The same user and password on every target; the argon2id parameters are Gatehouse's (m=19456, t=2, p=1). */
export const BENCH_USER: BenchUser = { email: 'bench@example.com', password: 'correct horse battery staple' };
export const BENCH_REDIRECT_URI = 'http://127.0.0.1:9/callback';
