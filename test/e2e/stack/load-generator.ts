/**
 * Steady traffic through the traffic layer, as the model's clients would send it, remembering which version
 * answered each request (the `x-model-version` header) — the ground truth of where traffic really goes.
 */

export interface LoadResponse {
  sentAt: number;
  /** HTTP status, or 0 when the request failed without one (connection cut, timeout). */
  status: number;
  /** The version that answered, or `none`. */
  version: string;
}

export interface LoadGenerator {
  responses: readonly LoadResponse[];
  /** Stops sending and waits for the requests in flight. */
  stop(): Promise<void>;
}

export function startLoad(
  url: string,
  options: { perSecond?: number; maxInFlight?: number } = {},
): LoadGenerator {
  const responses: LoadResponse[] = [];
  const inFlight = new Set<Promise<void>>();
  const maxInFlight = options.maxInFlight ?? 64;
  const send = (): void => {
    // A slow version must not pile up unbounded requests on a machine shared with the stack.
    if (inFlight.size >= maxInFlight) return;
    const sentAt = Date.now();
    const request = fetch(url, { signal: AbortSignal.timeout(10_000) })
      .then(async (response) => {
        await response.body?.cancel();
        responses.push({
          sentAt,
          status: response.status,
          version: response.headers.get('x-model-version') ?? 'none',
        });
      })
      .catch(() => {
        responses.push({ sentAt, status: 0, version: 'none' });
      })
      .finally(() => inFlight.delete(request));
    inFlight.add(request);
  };
  const timer = setInterval(send, 1_000 / (options.perSecond ?? 20));
  return {
    responses,
    async stop() {
      clearInterval(timer);
      await Promise.all([...inFlight]);
    },
  };
}

export interface LoadSummary {
  total: number;
  /** Answers per version (`none`: no version answered). */
  byVersion: Record<string, number>;
  /** Answers that were not 2xx. */
  failed: number;
}

/** What the responses to requests sent at or after `since` (epoch ms) show. */
export function summarize(responses: readonly LoadResponse[], since: number): LoadSummary {
  const recent = responses.filter((response) => response.sentAt >= since);
  const byVersion: Record<string, number> = {};
  for (const { version } of recent) byVersion[version] = (byVersion[version] ?? 0) + 1;
  const failed = recent.filter((response) => response.status < 200 || response.status > 299).length;
  return { total: recent.length, byVersion, failed };
}
