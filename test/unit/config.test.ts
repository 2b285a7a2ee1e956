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
  ])('refuses %j naming %s', (env, named) => {
    expect(() => loadConfig(env)).toThrow(named);
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
});
