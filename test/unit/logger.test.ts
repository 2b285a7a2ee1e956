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

  it('masks a configured secret inside a message', () => {
    const line = logged(
      (log) => log.error('refused key pd-routing-key-9 by PagerDuty'),
      ['pd-routing-key-9'],
    );
    expect(line).not.toContain('pd-routing-key-9');
    expect(line).toContain('refused key [redacted] by PagerDuty');
  });
});
