import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';

describe('loadConfig', () => {
  it('runs locally with no variables at all', () => {
    expect(loadConfig({})).toMatchObject({
      http: { port: 3000, host: '127.0.0.1' },
      redisUrl: undefined,
      runbooksDir: './runbooks',
      slack: { mode: 'off' },
      alerts: { token: undefined, allowUnauthenticated: false },
      logLevel: 'info',
      secrets: [],
    });
  });

  it('reads every variable', () => {
    const config = loadConfig({
      PORT: '8080',
      HOST: '0.0.0.0',
      REDIS_URL: 'redis://redis:6379/0',
      SLACK_BOT_TOKEN: 'xoxb-1',
      SLACK_SIGNING_SECRET: 'shh-secret',
      PROMETHEUS_URL: 'http://prom:9090',
      ALERT_WEBHOOK_TOKEN: 'alerts-token',
      ALLOW_UNAUTHENTICATED_ALERTS: 'false',
      API_TOKEN: 'api-token',
      LOG_LEVEL: 'debug',
    });
    expect(config).toMatchObject({
      http: { port: 8080, host: '0.0.0.0' },
      redisUrl: 'redis://redis:6379/0',
      slack: {
        mode: 'http',
        botToken: 'xoxb-1',
        signingSecret: 'shh-secret',
        apiUrl: 'https://slack.com/api/',
      },
      prometheus: { url: 'http://prom:9090', authorization: undefined },
      apiToken: 'api-token',
      logLevel: 'debug',
    });
    expect(config.secrets).toEqual(['xoxb-1', 'shh-secret', 'alerts-token', 'api-token']);
  });

  it('masks the Prometheus authorization in logs with the other secrets', () => {
    const config = loadConfig({
      PROMETHEUS_URL: 'http://prom:9090',
      PROMETHEUS_AUTHORIZATION: 'Bearer p-tok',
    });
    expect(config.secrets).toEqual(['Bearer p-tok']);
  });

  it('selects Socket Mode with SLACK_APP_TOKEN', () => {
    expect(loadConfig({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_APP_TOKEN: 'xapp-1' }).slack.mode).toBe('socket');
  });

  it.each([
    [{ PORT: 'eighty' }, 'PORT'],
    [{ REDIS_URL: 'localhost:6379' }, 'REDIS_URL'],
    [{ ALLOW_UNAUTHENTICATED_ALERTS: 'maybe' }, 'ALLOW_UNAUTHENTICATED_ALERTS'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ SLACK_BOT_TOKEN: 'xoxb-1' }, 'SLACK_SIGNING_SECRET'],
    [{ SLACK_SIGNING_SECRET: 'x' }, 'SLACK_BOT_TOKEN'],
    [{ REDIS_ULR: 'redis://x' }, 'did you mean REDIS_URL?'],
    // README's quick start: a slip in either leaves the write API off, or the alert routes closed, without a word.
    [{ API_TOKN: 'x' }, 'API_TOKN (did you mean API_TOKEN?)'],
    [{ ALLOW_UNAUTHENTICATED_ALERT: 'true' }, 'did you mean ALLOW_UNAUTHENTICATED_ALERTS?'],
    [{ ALLOW_UNAUTHENTICATED_ALRETS: 'true' }, 'did you mean ALLOW_UNAUTHENTICATED_ALERTS?'],
  ])('refuses %j naming %s', (env, named) => {
    expect(() => loadConfig(env)).toThrow(named);
  });

  it.each([
    ['PROMETHEUS_URL', 'prometheus:9090', 'http://prometheus:9090'],
    ['ROLLBOT_URL', 'localhost:3000', 'http://localhost:3000'],
    ['SLACK_API_URL', 'ftp://slack.example/api/', 'https://slack.com/api/'],
  ])('refuses %s=%s, a URL rollbot cannot ask over HTTP, saying how to write it', (name, value, example) => {
    // `prometheus:9090` parses as a URL of the scheme "prometheus:": taken, every query failed later instead.
    expect(() => loadConfig({ [name]: value })).toThrow(
      `${name}: "${value}" is not an http:// or https:// URL; write it like ${example}`,
    );
  });

  it.each(['eighty', '70000', '80.5', '-1'])('refuses PORT=%s saying what a port is', (port) => {
    expect(() => loadConfig({ PORT: port })).toThrow(
      `PORT: "${port}" is not a port: write a whole number from 0 to 65535 (0: any free port)`,
    );
  });

  it('treats blank values as unset', () => {
    expect(loadConfig({ REDIS_URL: '', API_TOKEN: '  ' })).toMatchObject({
      redisUrl: undefined,
      apiToken: undefined,
    });
  });

  it('keeps the default address, folder and switches for blank values (an empty PORT is not port 0)', () => {
    // `HOST=${HOST}` in a manifest with HOST unset: '' would listen on every interface, and PORT '' on a random port.
    expect(
      loadConfig({ PORT: '', HOST: ' ', RUNBOOKS_DIR: '', ALLOW_UNAUTHENTICATED_ALERTS: '', LOG_LEVEL: '' }),
    ).toMatchObject({
      http: { port: 3000, host: '127.0.0.1' },
      runbooksDir: './runbooks',
      alerts: { allowUnauthenticated: false },
      logLevel: 'info',
    });
  });
  it('reads every value trimmed, as README "Configuration" says: a ConfigMap line with a trailing newline or space', () => {
    // `HOST: |` in a ConfigMap, or `HOST=" 0.0.0.0"` pasted with a space, gave "cannot listen on  0.0.0.0\n:3000"
    // at start, and RUNBOOKS_DIR "cannot read the runbooks folder ./runbooks " though that folder is there.
    expect(
      loadConfig({
        HOST: '0.0.0.0\n',
        RUNBOOKS_DIR: ' ./runbooks ',
        LOG_LEVEL: 'debug\n',
        ALLOW_UNAUTHENTICATED_ALERTS: ' true ',
        SLACK_API_URL: 'http://slack.local/api/\n',
      }),
    ).toMatchObject({
      http: { host: '0.0.0.0' },
      runbooksDir: './runbooks',
      logLevel: 'debug',
      alerts: { allowUnauthenticated: true },
    });
  });

  it.each(['LOG_LEVL', 'LOGLEVEL'])(
    'points out %s, a slip of LOG_LEVEL that left the bot at info without a word',
    (name) => {
      expect(() => loadConfig({ [name]: 'debug' })).toThrow(`${name} (did you mean LOG_LEVEL?)`);
    },
  );

  it('says how to write LOG_LEVEL when it is not a level pino knows (INFO, warning)', () => {
    expect(() => loadConfig({ LOG_LEVEL: 'warning' })).toThrow(
      'LOG_LEVEL: "warning" is not a log level: write one of fatal, error, warn, info, debug, trace, silent (lower case)',
    );
  });
});

describe('loadConfig in a Kubernetes pod', () => {
  it('starts with the service links Kubernetes puts in every pod (deploy/kubernetes: Services rollbot and redis)', () => {
    // enableServiceLinks (on by default) gives each pod <SERVICE>_PORT=tcp://… and friends for every Service in
    // its namespace: ROLLBOT_PORT and REDIS_PORT are not typos of ROLLBOT_URL and REDIS_URL.
    const config = loadConfig({
      REDIS_URL: 'redis://redis:6379/0',
      ROLLBOT_PORT: 'tcp://10.96.12.7:80',
      ROLLBOT_PORT_80_TCP: 'tcp://10.96.12.7:80',
      ROLLBOT_PORT_80_TCP_ADDR: '10.96.12.7',
      ROLLBOT_PORT_80_TCP_PORT: '80',
      ROLLBOT_PORT_80_TCP_PROTO: 'tcp',
      ROLLBOT_SERVICE_HOST: '10.96.12.7',
      ROLLBOT_SERVICE_PORT: '80',
      ROLLBOT_SERVICE_PORT_HTTP: '80',
      REDIS_PORT: 'tcp://10.96.40.2:6379',
      REDIS_PORT_6379_TCP: 'tcp://10.96.40.2:6379',
      REDIS_SERVICE_HOST: '10.96.40.2',
      REDIS_SERVICE_PORT: '6379',
      // A Prometheus Service in the same namespace: not a typo of PROMETHEUS_URL either.
      PROMETHEUS_PORT: 'tcp://10.96.3.9:9090',
    });
    expect(config).toMatchObject({ redisUrl: 'redis://redis:6379/0', rollbotUrl: undefined });
  });

  it('still points out a misspelt variable whose value is not a service link', () => {
    expect(() => loadConfig({ REDIS_PORT: 'redis://redis:6379' })).toThrow('did you mean REDIS_URL?');
  });
});
