import { z } from 'zod';
import { RollbotError } from './core/errors.js';
import { closest } from './core/suggest.js';
import { envValue } from './env.js';

const optionalText = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === '' ? undefined : value.trim()));

/**
 * A URL rollbot asks over HTTP. `z.url()` alone takes `prometheus:9090` (a URL of the scheme "prometheus:"), the
 * likeliest slip of all: the bot then started and every query failed at 2am, and the CLI crashed on
 * `ROLLBOT_URL=localhost:3000`. `example` is how to write it when the value has some other scheme; a value without
 * one is shown with `http://` in front.
 */
function httpUrl(example: string) {
  return z.string().superRefine((text, ctx) => {
    if (isHttpUrl(text)) return;
    const likely = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? example : `http://${text}`;
    ctx.addIssue({
      code: 'custom',
      input: text,
      message: `"${text}" is not an http:// or https:// URL; write it like ${likely}`,
    });
  });
}

function isHttpUrl(text: string): boolean {
  try {
    return /^https?:$/.test(new URL(text).protocol);
  } catch {
    return false;
  }
}

/** A TCP port, said plainly when it is not one (zod's own words for `eighty` were "expected number, received NaN"). */
const port = z.string().transform((text, ctx) => {
  const digits = text.trim();
  const number = Number(digits);
  if (/^\d{1,5}$/.test(digits) && number <= 65_535) return number;
  ctx.addIssue({
    code: 'custom',
    input: text,
    message: `"${text}" is not a port: write a whole number from 0 to 65535 (0: any free port)`,
  });
  return z.NEVER;
});

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** zod's own words for `INFO` or `warning` were `Invalid option: expected one of "fatal"|"error"|…`. */
function logLevelProblem(issue: { input?: unknown }): string {
  return `"${String(issue.input)}" is not a log level: write one of ${LOG_LEVELS.join(', ')} (lower case)`;
}

/** The environment rollbot reads (DESIGN §3). Everything is optional: the defaults run a local bot. */
const envSchema = z.object({
  PORT: port.default(3000),
  HOST: z.string().default('127.0.0.1'),
  REDIS_URL: optionalText.pipe(
    z.url({ protocol: /^rediss?$/, error: 'expected redis://host:port or rediss://…' }).optional(),
  ),
  RUNBOOKS_DIR: z.string().default('./runbooks'),
  SLACK_BOT_TOKEN: optionalText,
  SLACK_SIGNING_SECRET: optionalText,
  SLACK_APP_TOKEN: optionalText,
  SLACK_API_URL: httpUrl('https://slack.com/api/').default('https://slack.com/api/'),
  PROMETHEUS_URL: optionalText.pipe(httpUrl('http://prometheus:9090').optional()),
  PROMETHEUS_AUTHORIZATION: optionalText,
  ALERT_WEBHOOK_TOKEN: optionalText,
  ALLOW_UNAUTHENTICATED_ALERTS: z.stringbool().default(false),
  API_TOKEN: optionalText,
  LOG_LEVEL: z.enum(LOG_LEVELS, { error: logLevelProblem }).default('info'),
  ROLLBOT_URL: optionalText.pipe(httpUrl('https://ops.example.com/rollbot').optional()),
});

export type Env = z.output<typeof envSchema>;

export interface Config {
  http: { port: number; host: string };
  redisUrl: string | undefined;
  runbooksDir: string;
  slack:
    | { mode: 'http'; botToken: string; signingSecret: string; apiUrl: string }
    | { mode: 'socket'; botToken: string; appToken: string; apiUrl: string }
    | { mode: 'off' };
  /** Triage and confirmation read metrics here; unset: people decide. */
  prometheus: { url: string; authorization: string | undefined } | undefined;
  alerts: { token: string | undefined; allowUnauthenticated: boolean };
  apiToken: string | undefined;
  logLevel: Env['LOG_LEVEL'];
  /** For the CLI: talk to this running bot instead of running the engine in-process. */
  rollbotUrl: string | undefined;
  /** The values that must never reach a log line. */
  secrets: string[];
}

/**
 * Reads and validates the environment once, at start-up. Errors name every bad variable and the fix, and
 * a misspelt ROLLBOT-looking variable (e.g. `REDIS_ULR`) is pointed out rather than silently ignored.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(withoutBlanks(env), { reportInput: true });
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new RollbotError('INVALID_CONFIG', `invalid environment:\n${lines.join('\n')}`, {
      hint: 'fix the variables above; README.md "Configuration" lists every variable and its default',
      details: parsed.error.issues,
    });
  }
  const e = parsed.data;
  const typos = findTypos(env);
  if (typos.length > 0) {
    throw new RollbotError('INVALID_CONFIG', `unknown variables: ${typos.join('; ')}`, {
      hint: 'rename them, or unset them if they are not meant for rollbot',
    });
  }
  return {
    http: { port: e.PORT, host: e.HOST },
    redisUrl: e.REDIS_URL,
    runbooksDir: e.RUNBOOKS_DIR,
    slack: slackMode(e),
    prometheus: e.PROMETHEUS_URL
      ? { url: e.PROMETHEUS_URL, authorization: e.PROMETHEUS_AUTHORIZATION }
      : undefined,
    alerts: { token: e.ALERT_WEBHOOK_TOKEN, allowUnauthenticated: e.ALLOW_UNAUTHENTICATED_ALERTS },
    apiToken: e.API_TOKEN,
    logLevel: e.LOG_LEVEL,
    rollbotUrl: e.ROLLBOT_URL,
    secrets: [
      e.SLACK_BOT_TOKEN,
      e.SLACK_SIGNING_SECRET,
      e.SLACK_APP_TOKEN,
      e.ALERT_WEBHOOK_TOKEN,
      e.API_TOKEN,
      // `Bearer …` or `Basic …`: the whole value is the credential.
      e.PROMETHEUS_AUTHORIZATION,
    ].filter((value): value is string => value !== undefined),
  };
}

/**
 * The runbooks folder as the bot reads it from RUNBOOKS_DIR (set to nothing, it is unset: `./runbooks`), for
 * `rollbot validate`, which needs no other variable and so does not fail on one.
 */
export function runbooksDirOf(env: NodeJS.ProcessEnv): string {
  return envSchema.shape.RUNBOOKS_DIR.parse(withoutBlanks(env).RUNBOOKS_DIR);
}

/**
 * Each variable as src/env.ts reads it: set to nothing it counts as unset, as `HOST=${HOST}` in a manifest gives
 * when HOST is not defined (taken literally, an empty HOST listens on every interface and an empty PORT on a random
 * port); set, it is trimmed, so that a ConfigMap's `HOST: |` (a trailing newline) is not an address of no machine.
 */
function withoutBlanks(env: Readonly<Record<string, string | undefined>>): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.keys(env).flatMap((name) => {
      const value = envValue(env, name);
      return value === undefined ? [] : [[name, value]];
    }),
  );
}

function slackMode(e: Env): Config['slack'] {
  if (!e.SLACK_BOT_TOKEN) {
    if (e.SLACK_SIGNING_SECRET || e.SLACK_APP_TOKEN) {
      throw new RollbotError(
        'INVALID_CONFIG',
        'SLACK_SIGNING_SECRET or SLACK_APP_TOKEN is set but SLACK_BOT_TOKEN is not',
        {
          hint: 'set SLACK_BOT_TOKEN (xoxb-…) too, or unset the others to run with the console notifier',
        },
      );
    }
    return { mode: 'off' };
  }
  if (e.SLACK_APP_TOKEN)
    return {
      mode: 'socket',
      botToken: e.SLACK_BOT_TOKEN,
      appToken: e.SLACK_APP_TOKEN,
      apiUrl: e.SLACK_API_URL,
    };
  if (!e.SLACK_SIGNING_SECRET) {
    throw new RollbotError('INVALID_CONFIG', 'SLACK_BOT_TOKEN is set but SLACK_SIGNING_SECRET is not', {
      hint: 'set SLACK_SIGNING_SECRET (Basic Information → Signing Secret) for HTTP mode, or SLACK_APP_TOKEN for Socket Mode',
    });
  }
  return {
    mode: 'http',
    botToken: e.SLACK_BOT_TOKEN,
    signingSecret: e.SLACK_SIGNING_SECRET,
    apiUrl: e.SLACK_API_URL,
  };
}

const KNOWN = Object.keys(envSchema.shape);
/** Prefixes of the names a slip of ours would keep (`ALLOW_UNAUTHENTICATED_ALERT`, `API_TOKN`): others are not looked at. */
const FAMILIES = [
  'SLACK_',
  'REDIS',
  'RUNBOOK',
  'PROMETHEUS',
  'ALERT',
  'ALLOW_',
  'API_TOK',
  'ROLLBOT',
  'LOG_LEV',
  'LOGLEVEL',
];

/**
 * A Kubernetes service link: with `enableServiceLinks` (on by default) every pod gets `<SERVICE>_PORT=tcp://ip:port`
 * (and `_SERVICE_HOST`, `_PORT_6379_TCP…`) for every Service in its namespace. The manifests run Services named
 * `rollbot` and `redis` beside the bot, so ROLLBOT_PORT and REDIS_PORT are in its environment: they are not
 * typos of ROLLBOT_URL and REDIS_URL, and refusing them would stop every pod from starting. Told apart by their
 * value, so that `REDIS_PORT=redis://…` (a real slip) is still pointed out.
 */
function isServiceLink(name: string, value: string | undefined): boolean {
  return /^(tcp|udp|sctp):\/\/[^/\s]+:\d+$/.test(value ?? '') && /_PORT(_\d+_(TCP|UDP|SCTP))?$/.test(name);
}

/** Variables that look like ours but are not: `REDIS_ULR`, `SLACK_BOT_TOKN`. */
function findTypos(env: NodeJS.ProcessEnv): string[] {
  return Object.keys(env)
    .filter((name) => !KNOWN.includes(name) && FAMILIES.some((family) => name.startsWith(family)))
    .filter((name) => !isServiceLink(name, env[name]))
    .flatMap((name) => {
      const guess = closest(name, KNOWN);
      return guess ? [`${name} (did you mean ${guess}?)`] : [];
    });
}
