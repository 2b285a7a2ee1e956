import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { BOT_EVENTS, COMMANDS } from '../../../src/slack/ids.js';
import { BOT_SCOPES } from '../../../src/slack/setup-check.js';

interface Manifest {
  display_information: { name: string };
  features: { slash_commands: { command: string; url?: string }[] };
  settings: {
    interactivity: { is_enabled: boolean; request_url?: string };
    event_subscriptions: { request_url?: string; bot_events: string[] };
    socket_mode_enabled: boolean;
  };
  oauth_config: { scopes: { bot: string[] } };
}

const SCHEMA_URL = new URL('../../../../shared/fixtures/slack/manifest.schema.1.0.0.json', import.meta.url);
const MANIFEST_URL = new URL('../../../manifest.yml', import.meta.url);

function loadManifest(): Manifest {
  return parse(readFileSync(MANIFEST_URL, 'utf8')) as Manifest;
}

describe('manifest.yml', () => {
  let validate: ValidateFunction;

  beforeAll(() => {
    // The schema uses keywords and formats ajv does not know (`regex`, `uri`): strict off, as the brief says.
    const ajv = new Ajv({ strict: false, allErrors: true, logger: false });
    validate = ajv.compile(JSON.parse(readFileSync(SCHEMA_URL, 'utf8')) as object);
  });

  it('is valid against Slack’s manifest schema', () => {
    const valid = validate(loadManifest());
    if (!valid) console.error(JSON.stringify(validate.errors, null, 2));
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  it('is checked for real: a 40-character name or a command without / is rejected', () => {
    const longName = loadManifest();
    longName.display_information.name = 'r'.repeat(40);
    expect(validate(longName)).toBe(false);

    const noSlash = loadManifest();
    const [first] = noSlash.features.slash_commands;
    if (!first) throw new Error('manifest has commands');
    first.command = 'rollback';
    expect(validate(noSlash)).toBe(false);
  });

  it('declares exactly the commands rollbot registers', () => {
    const declared = loadManifest().features.slash_commands.map((command) => command.command);
    expect([...declared].sort()).toEqual(Object.values(COMMANDS).sort());
  });

  it('subscribes to exactly the events rollbot listens to', () => {
    expect(loadManifest().settings.event_subscriptions.bot_events).toEqual([...BOT_EVENTS]);
  });

  it('sends commands, interactivity and events to /slack/events over HTTP', () => {
    const manifest = loadManifest();
    expect(manifest.settings.socket_mode_enabled).toBe(false);
    expect(manifest.settings.interactivity.is_enabled).toBe(true);
    const urls = [
      manifest.settings.interactivity.request_url,
      manifest.settings.event_subscriptions.request_url,
      ...manifest.features.slash_commands.map((command) => command.url),
    ];
    for (const url of urls) expect(url).toMatch(/^https:\/\/[^/]+\/slack\/events$/);
  });

  it('asks for exactly the scopes rollbot uses, which its setup check looks for', () => {
    expect(loadManifest().oauth_config.scopes.bot).toEqual(Object.keys(BOT_SCOPES));
  });
});
