import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';

export interface Reply {
  status: number;
  body: string;
  /** From the call to the last byte of the answer, in milliseconds. */
  ms: number;
}

/**
 * A keep-alive HTTP/1.1 client for one server: the load generator. One Agent per target and purpose, so that
 * connection reuse is what a real sender (Alertmanager, Slack) gets, and no request pays a TCP handshake.
 */
export class HttpClient {
  private readonly agent: Agent;

  constructor(
    readonly origin: string,
    maxSockets: number,
  ) {
    this.agent = new Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
  }

  post(path: string, body: string, headers: Record<string, string>): Promise<Reply> {
    return this.send('POST', path, body, headers);
  }

  get(path: string, headers: Record<string, string> = {}): Promise<Reply> {
    return this.send('GET', path, undefined, headers);
  }

  close(): void {
    this.agent.destroy();
  }

  /**
   * One request; retried once when a kept-alive socket turns out to have been closed by the server in the same
   * instant (ECONNRESET on a reused socket: the request never reached it). Node's documented remedy, and what
   * Go's client (Alertmanager) does for a connection that died before the request was written.
   */
  private async send(
    method: string,
    path: string,
    body: string | undefined,
    headers: Record<string, string>,
  ): Promise<Reply> {
    const started = performance.now();
    try {
      return await this.once(method, path, body, headers, started);
    } catch (error) {
      if ((error as { staleSocket?: boolean }).staleSocket)
        return this.once(method, path, body, headers, started);
      throw error;
    }
  }

  private once(
    method: string,
    path: string,
    body: string | undefined,
    headers: Record<string, string>,
    started: number,
  ): Promise<Reply> {
    const url = new URL(path, this.origin);
    return new Promise<Reply>((resolve, reject) => {
      const req = request(
        {
          agent: this.agent,
          method,
          host: url.hostname,
          port: url.port,
          path: `${url.pathname}${url.search}`,
          headers: body === undefined ? headers : { ...headers, 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              body: Buffer.concat(chunks).toString('utf8'),
              ms: performance.now() - started,
            }),
          );
          res.on('error', reject);
        },
      );
      req.on('error', (error: NodeJS.ErrnoException) =>
        reject(
          req.reusedSocket && error.code === 'ECONNRESET'
            ? Object.assign(error, { staleSocket: true })
            : error,
        ),
      );
      req.end(body);
    });
  }
}
