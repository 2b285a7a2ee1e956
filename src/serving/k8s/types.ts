import type { TlsOptions } from '../request.js';

/** Where the Kubernetes API is and how to authenticate to it. */
export interface KubeConnection {
  /** `https://host:port`, possibly with a path prefix (API proxies). */
  server: string;
  token?: string;
  tls: TlsOptions;
}

/** Reads a whole file: `fs.readFileSync` in production, a fake in tests. */
export type ReadFile = (path: string) => string | Buffer;
