import { describe, expect, it } from 'vitest';
import { isRollbotError } from '../../../src/core/errors.js';
import {
  fillFormTemplate,
  fillJsonTemplate,
  fillTemplate,
  fillUrlTemplate,
  redactEnv,
  templateProblems,
  type TemplateValues,
} from '../../../src/serving/template.js';

const env = { ROUTER_TOKEN: 's3cr3t-token', BASE_URL: 'https://router.internal', SHELL_PATH: '/bin/sh' };

function values(vars: TemplateValues['vars'], extra: Partial<TemplateValues> = {}): TemplateValues {
  return { vars, env, allowEnv: ['ROUTER_TOKEN', 'BASE_URL'], ...extra };
}

function errorOf(fn: () => unknown): { code: string; message: string; hint: string | undefined } {
  try {
    fn();
  } catch (error) {
    if (isRollbotError(error)) return { code: error.code, message: error.message, hint: error.hint };
    throw error;
  }
  throw new Error('expected an error');
}

const HOSTILE = [
  '; rm -rf /',
  '$(touch /tmp/pwned)',
  '`id`',
  '"},"admin":true,"x":{"',
  'back\\slash',
  'line\nbreak',
  '$& $1 $$',
  '{{env.ROUTER_TOKEN}}',
  '{{to}}',
];

describe('fillTemplate', () => {
  it('fills every placeholder, with or without spaces inside the braces', () => {
    const text = '{{model}} {{from}}->{{ to }} {{incident}} {{reason}} {{idempotencyKey}} {{fence}}';
    const filled = fillTemplate(
      text,
      values({
        model: 'fraud-scorer',
        from: 'v3',
        to: 'v2',
        incident: 'INC-7',
        reason: 'error rate',
        idempotencyKey: 'k-1',
        fence: '12',
      }),
    );
    expect(filled).toBe('fraud-scorer v3->v2 INC-7 error rate k-1 12');
  });

  it('reads allow-listed environment variables', () => {
    expect(fillTemplate('Bearer {{env.ROUTER_TOKEN}}', values({}))).toBe('Bearer s3cr3t-token');
  });

  it('masks environment values when asked, still checking that they are set', () => {
    expect(fillTemplate('Bearer {{env.ROUTER_TOKEN}}', values({}, { maskEnv: true }))).toBe('Bearer ***');
    const unset = errorOf(() => fillTemplate('{{env.ROUTER_TOKEN}}', values({}, { env: {}, maskEnv: true })));
    expect(unset.message).toContain('ROUTER_TOKEN is not set');
  });

  it('refuses an environment variable that is not allow-listed, even when it is set', () => {
    const error = errorOf(() => fillTemplate('{{env.SHELL_PATH}}', values({})));
    expect(error.code).toBe('INVALID_CONFIG');
    expect(error.message).toContain('SHELL_PATH');
    expect(error.hint).toContain('add SHELL_PATH');
  });

  it('refuses an allow-listed variable that is not set, naming it', () => {
    const error = errorOf(() => fillTemplate('{{env.ROUTER_TOKEN}}', values({}, { env: {} })));
    expect(error.code).toBe('INVALID_CONFIG');
    expect(error.message).toContain('ROUTER_TOKEN');
    expect(error.hint).toContain('set ROUTER_TOKEN');
  });

  it.each([[''], ['  '], ['\n']])(
    'takes an allow-listed variable set to %j as unset, as paging and validate do',
    (blank) => {
      const error = errorOf(() =>
        fillTemplate('Bearer {{env.ROUTER_TOKEN}}', values({}, { env: { ROUTER_TOKEN: blank } })),
      );
      expect(error.code).toBe('INVALID_CONFIG');
      expect(error.message).toBe('{{env.ROUTER_TOKEN}}: the environment variable ROUTER_TOKEN is empty');
      expect(error.hint).toContain('set ROUTER_TOKEN');
    },
  );

  it('reads a variable without the trailing newline a Secret made from a file gives it', () => {
    const fromFile = values({}, { env: { ROUTER_TOKEN: 's3cr3t-token\n' } });
    expect(fillTemplate('Bearer {{env.ROUTER_TOKEN}}', fromFile)).toBe('Bearer s3cr3t-token');
  });

  it('refuses an unknown placeholder, naming it and suggesting the closest', () => {
    const error = errorOf(() => fillTemplate('{{too}}', values({ to: 'v2' })));
    expect(error.code).toBe('INVALID_CONFIG');
    expect(error.message).toContain('{{too}}');
    expect(error.hint).toContain('did you mean {{to}}?');
  });

  it('refuses a known placeholder without a value, or keeps it for plans', () => {
    expect(errorOf(() => fillTemplate('{{incident}}', values({}))).message).toContain('{{incident}}');
    expect(fillTemplate('{{incident}}/{{to}}', values({ to: 'v2' }, { keepMissing: true }))).toBe(
      '{{incident}}/v2',
    );
  });

  it('leaves an unclosed {{ as text', () => {
    expect(fillTemplate('a {{ b', values({}))).toBe('a {{ b');
  });

  it.each(HOSTILE)('substitutes %j literally, in one pass', (hostile) => {
    expect(fillTemplate('<{{reason}}>', values({ reason: hostile }))).toBe(`<${hostile}>`);
  });
});

describe('fillJsonTemplate', () => {
  const body = '{"model": "{{model}}", "version": "{{to}}", "reason": "{{reason}}", "fence": {{fence}}}';

  it.each(HOSTILE)('keeps %j inside its JSON string', (hostile) => {
    const text = fillJsonTemplate(body, values({ model: 'm', to: 'v2', reason: hostile, fence: '3' }));
    expect(JSON.parse(text)).toEqual({ model: 'm', version: 'v2', reason: hostile, fence: 3 });
  });

  it('escapes environment values too', () => {
    const text = fillJsonTemplate('{"t": "{{env.X}}"}', { vars: {}, env: { X: 'a"b' }, allowEnv: ['X'] });
    expect(JSON.parse(text)).toEqual({ t: 'a"b' });
  });
});

describe('fillUrlTemplate', () => {
  it('percent-encodes incident values so that they stay in their segment', () => {
    const url = fillUrlTemplate(
      '{{env.BASE_URL}}/models/{{model}}/rollback?to={{to}}',
      values({ model: 'fraud-scorer', to: '../v2?admin=1#x' }),
    );
    expect(url).toBe('https://router.internal/models/fraud-scorer/rollback?to=..%2Fv2%3Fadmin%3D1%23x');
    expect(new URL(url).searchParams.get('to')).toBe('../v2?admin=1#x');
  });
});

describe('fillFormTemplate', () => {
  it('percent-encodes values so that & and = cannot add fields', () => {
    const text = fillFormTemplate('to={{to}}&reason={{reason}}', values({ to: 'v2', reason: 'a&admin=1' }));
    expect(Object.fromEntries(new URLSearchParams(text))).toEqual({ to: 'v2', reason: 'a&admin=1' });
  });
});

describe('templateProblems', () => {
  it('reports unknown placeholders, placeholders without a value here and env names not listed', () => {
    expect(
      templateProblems('{{model}} {{too}} {{to}} {{env.A}} {{env.B}}', { vars: ['model'], env: ['A'] }),
    ).toEqual([
      'unknown placeholder {{too}} (did you mean {{to}}?)',
      '{{to}} has no value here: use only {{model}}, {{env.NAME}} (NAME listed in env)',
      '{{env.B}} uses B, which is not in env: add it to env (secrets come only from there)',
    ]);
  });
});

describe('redactEnv', () => {
  it('masks allow-listed values in output, and only those', () => {
    expect(redactEnv('token=s3cr3t-token sh=/bin/sh', env, ['ROUTER_TOKEN'])).toBe('token=*** sh=/bin/sh');
  });

  it('takes a blank variable as unset, not as a secret: its blanks stay in the output', () => {
    const blank = { ROUTER_TOKEN: '    ' };
    expect(redactEnv('a    b', blank, ['ROUTER_TOKEN'])).toBe('a    b');
  });

  it('masks a value read with a trailing newline wherever the value appears', () => {
    const fromFile = { ROUTER_TOKEN: 's3cr3t-token\n' };
    expect(redactEnv('refused token s3cr3t-token.', fromFile, ['ROUTER_TOKEN'])).toBe('refused token ***.');
  });
});
