import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SlackCall {
  method: string;
  form: Record<string, string>;
  /** What the stand-in answered (e.g. the posted message's ts). */
  answer: Record<string, unknown>;
}

export interface SlackStandIn {
  /** Base URL for SLACK_API_URL (ends with /api/). */
  apiUrl: string;
  calls: SlackCall[];
  close(): Promise<void>;
}

/**
 * A local stand-in for the Slack Web API: answers every method `ok`, gives posted messages increasing `ts`
 * and opened views ids, and records each call's form fields for the test to read.
 */
export async function startSlackStandIn(): Promise<SlackStandIn> {
  const calls: SlackCall[] = [];
  let seq = 0;
  const server: Server = createServer((req, res) => {
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk.toString()));
    req.on('end', () => {
      const method = (req.url ?? '').replace(/^\/api\//, '').split('?')[0] ?? '';
      const form = (req.headers['content-type'] ?? '').includes('json')
        ? (JSON.parse(text || '{}') as Record<string, string>)
        : Object.fromEntries(new URLSearchParams(text));
      seq += 1;
      const answers: Record<string, Record<string, unknown>> = {
        'chat.postMessage': { channel: form.channel, ts: `1800000000.${String(seq).padStart(6, '0')}` },
        'views.open': { view: { id: `V${seq}` } },
        'usergroups.users.list': { users: [] },
      };
      const answer = { ok: true, ...answers[method] };
      calls.push({ method, form, answer });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    apiUrl: `http://127.0.0.1:${port}/api/`,
    calls,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
