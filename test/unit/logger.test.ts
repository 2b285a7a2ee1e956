import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/observability/logger.js';

/** The one JSON line `write` logs, as text. */
function logged(write: (logger: ReturnType<typeof createLogger>) => void, secrets?: string[]): string {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (chunk: Buffer) => chunks.push(chunk));
  const logger = createLogger({ level: 'info', destination: out, ...(secrets ? { secrets } : {}) });
  write(logger);
  logger.flush();
  return Buffer.concat(chunks).toString('utf8');
}

describe('logger redaction', () => {
  it('redacts the Slack credentials by field, as before', () => {
    const line = logged((log) => log.info({ botToken: 'xoxb-123456', signingSecret: 'shh-123456' }, 'x'));
    expect(line).not.toContain('xoxb-123456');
    expect(line).not.toContain('shh-123456');
  });

  it('redacts the paging keys wherever a pager options, call or body dump puts them', () => {
    const line = logged((log) =>
      log.error(
        {
          // A PagerDuty pager's options, and an Opsgenie one's, as a config dump would show them.
          routingKey: 'pd-routing-key-1',
          apiKey: 'og-api-key-1',
          pager: { routingKey: 'pd-routing-key-2', apiKey: 'og-api-key-2' },
          // An Events API v2 body, alone and inside a request dump.
          routing_key: 'pd-routing-key-3',
          body: { routing_key: 'pd-routing-key-4' },
          // An Opsgenie request, inside an error's details.
          call: { headers: { authorization: 'GenieKey og-api-key-3' } },
        },
        'paging failed',
      ),
    );
    for (const key of ['pd-routing-key-', 'og-api-key-']) expect(line).not.toContain(key);
    const fields = JSON.parse(line) as Record<string, unknown>;
    expect(fields).toMatchObject({
      routingKey: '[redacted]',
      apiKey: '[redacted]',
      pager: { routingKey: '[redacted]', apiKey: '[redacted]' },
      routing_key: '[redacted]',
      body: { routing_key: '[redacted]' },
      call: { headers: { authorization: '[redacted]' } },
    });
  });

  it('masks secrets in fields, not only in the message: a key in an error text, a bearer token, a URL, a request config', () => {
    const refused = Object.assign(new Error('PagerDuty refused routing key pd-routing-key-7'), {
      // As an HTTP client's error carries the request it sent.
      config: {
        url: 'https://prometheus.example/api/v1/query',
        headers: { Authorization: 'Bearer prom-token-123456', Accept: 'application/json' },
      },
      request: { _header: 'GET /api/v1/query HTTP/1.1\r\nAuthorization: Bearer prom-token-123456\r\n' },
    });
    const line = logged(
      (log) =>
        log.child({ pager: 'pd-routing-key-7' }).error(
          {
            err: refused,
            reason: 'Opsgenie said: invalid key og-api-key-77',
            call: { headers: { Authorization: 'GenieKey og-api-key-77' } },
            prometheus: 'https://prometheus.example/api/v1/query?query=up&access_token=tok-in-query-1&x=1',
            webhook: 'https://hooks.example/notify?token=tok-in-query-2',
            nested: { deeper: { text: 'sent Authorization: Bearer eyJhbGciOi.J9.abc' } },
          },
          'paging failed',
        ),
      ['pd-routing-key-7', 'og-api-key-77'],
    );
    for (const secret of [
      'pd-routing-key-7',
      'og-api-key-77',
      'prom-token-123456',
      'tok-in-query-1',
      'tok-in-query-2',
      'eyJhbGciOi',
    ]) {
      expect(line).not.toContain(secret);
    }
    const fields = JSON.parse(line) as Record<string, unknown>;
    expect(fields).toMatchObject({
      pager: '[redacted]',
      reason: 'Opsgenie said: invalid key [redacted]',
      prometheus: 'https://prometheus.example/api/v1/query?query=up&access_token=[redacted]&x=1',
      webhook: 'https://hooks.example/notify?token=[redacted]',
      err: {
        message: 'PagerDuty refused routing key [redacted]',
        config: { url: 'https://prometheus.example/api/v1/query', headers: { Accept: 'application/json' } },
      },
    });
  });

  it('leaves words that merely follow "Bearer" or "Basic" in a hint alone', () => {
    const line = logged((log) =>
      log.warn({ hint: 'send Authorization: Bearer <API_TOKEN>; see Basic Information' }, 'refused'),
    );
    expect(JSON.parse(line)).toMatchObject({
      hint: 'send Authorization: Bearer <API_TOKEN>; see Basic Information',
    });
  });

  it('masks a configured secret inside a message', () => {
    const line = logged(
      (log) => log.error('refused key pd-routing-key-9 by PagerDuty'),
      ['pd-routing-key-9'],
    );
    expect(line).not.toContain('pd-routing-key-9');
    expect(line).toContain('refused key [redacted] by PagerDuty');
  });
});
