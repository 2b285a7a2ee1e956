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
  'headers.Authorization',
  '*.headers.Authorization',
  // An HTTP client's error carries the request it sent (axios: `config`, and `response.config`).
  'err.config.headers.authorization',
  'err.config.headers.Authorization',
  'err.response.config.headers.authorization',
  'err.response.config.headers.Authorization',
  'authorization',
  'Authorization',
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
 * The process logger: JSON lines on stdout, credentials redacted by path, and any configured secret value masked
 * wherever it appears in the line (a token pasted into an error text, in the message or in a field such as `err` or
 * `reason`, must not reach the logs), as are credentials the paths cannot know: the value after `Bearer`, `Basic`
 * or `GenieKey` (a request dump's raw headers) and a URL's credential query parameters (`?token=…`).
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
    },
    maskingStream(secrets, options.destination ?? process.stdout),
  );
}

/**
 * Where the masking happens: on each finished line, so that fields at any depth (an error's message and stack, a
 * child logger's bindings, the cause of a cause) are masked as the message is, with no field to forget.
 */
function maskingStream(secrets: string[], destination: NodeJS.WritableStream): pino.DestinationStream {
  // As JSON writes them too: a secret holding a quote or a backslash appears escaped in the line.
  const forms = [...new Set(secrets.flatMap((secret) => [secret, JSON.stringify(secret).slice(1, -1)]))]
    // Longest first, so that a secret containing another is masked whole.
    .sort((a, b) => b.length - a.length);
  return {
    write(line: string) {
      destination.write(mask(line, forms));
    },
  };
}

/**
 * A scheme's credential: one that has a character no word has (a digit, `.`, `-`, `=`…), so that "Bearer <API_TOKEN>"
 * in a hint or "Basic Information" in Slack's settings stays readable.
 */
const SCHEME_CREDENTIAL = /\b(Bearer|Basic|GenieKey) (?=[A-Za-z]*[0-9._~+/=-])[A-Za-z0-9._~+/=-]+/g;
/** A URL's query parameter that carries a credential, as Prometheus proxies and webhooks take them. */
const CREDENTIAL_QUERY =
  /([?&](?:access_token|token|api_key|apikey|api-key|key|auth|sig|signature|password|secret|client_secret)=)[^&#\s"\\]+/gi;

function mask(text: string, secrets: string[]): string {
  return secrets
    .reduce((out, secret) => out.split(secret).join('[redacted]'), text)
    .replace(SCHEME_CREDENTIAL, '$1 [redacted]')
    .replace(CREDENTIAL_QUERY, '$1[redacted]');
}
