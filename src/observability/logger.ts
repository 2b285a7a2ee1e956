import { pino, type Logger as PinoLogger } from 'pino';

/**
 * Header and field paths that carry credentials; pino replaces them with "[redacted]". Paging keys under the names
 * src/paging gives them: a pager's options (`routingKey`, `apiKey`), the PagerDuty Events API body
 * (`routing_key`), and the Opsgenie request's `GenieKey` authorization header.
 */
const REDACT = [
  'req.headers.authorization',
  'req.headers["x-slack-signature"]',
  'headers.authorization',
  '*.headers.authorization',
  'authorization',
  'token',
  'botToken',
  'appToken',
  'signingSecret',
  '*.token',
  'routingKey',
  '*.routingKey',
  'routing_key',
  '*.routing_key',
  'apiKey',
  '*.apiKey',
];

/**
 * The process logger: JSON lines on stdout, credentials redacted by path, and any configured secret value
 * masked wherever it appears in a message (a token pasted into an error text must not reach the logs).
 */
export function createLogger(options: {
  level: string;
  secrets?: string[];
  destination?: NodeJS.WritableStream;
}): PinoLogger {
  const secrets = (options.secrets ?? []).filter((secret) => secret.length >= 6);
  return pino(
    {
      level: options.level,
      base: { app: 'rollbot' },
      redact: { paths: REDACT, censor: '[redacted]' },
      hooks: {
        logMethod(args, method) {
          const masked =
            secrets.length === 0
              ? args
              : args.map((arg) => (typeof arg === 'string' ? mask(arg, secrets) : arg));
          method.apply(this, masked as Parameters<typeof method>);
        },
      },
    },
    (options.destination ?? process.stdout) as pino.DestinationStream,
  );
}

function mask(text: string, secrets: string[]): string {
  return secrets.reduce((out, secret) => out.split(secret).join('[redacted]'), text);
}
