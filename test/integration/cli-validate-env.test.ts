/**
 * `rollbot validate` warns of what the runbooks need from the environment by the bot's own rule: a variable set
 * to nothing or blanks (a Kubernetes Secret key left empty) is unset, as the serving layers and paging read it.
 */
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli.js';
import { runbookDir } from '../helpers/bot-process.js';
import { runbookYaml } from '../helpers/engine.js';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (text: string) => out.push(text), err: (text: string) => err.push(text) }, out, err };
}

const HTTP_SERVING = [
  'serving:',
  '  adapter: http',
  '  env: [ROUTER_TOKEN]',
  '  rollback: { method: POST, url: "https://router.example.com/switch", headers: { authorization: "Bearer {{env.ROUTER_TOKEN}}" }, body: { to: "{{to}}" } }',
].join('\n');

const MLFLOW_SERVING =
  'serving: { adapter: mlflow, trackingUri: "https://mlflow.example.com", registeredModel: m2, tokenEnv: MLFLOW_TOKEN }';

describe('rollbot validate: variables set to nothing', () => {
  it.each([[''], ['  '], ['\n']])('warns of serving variables set to %j as unset', async (blank) => {
    const dir = await runbookDir({
      'm1.yml': runbookYaml('m1').replace(/serving: .*\n/, `${HTTP_SERVING}\n`),
      'm2.yml': runbookYaml('m2').replace(/serving: .*\n/, `${MLFLOW_SERVING}\n`),
    });
    const { io, out, err } = capture();
    const env = { ROUTER_TOKEN: blank, MLFLOW_TOKEN: blank };
    expect(await runCli(['validate', dir], env, io)).toBe(0);
    expect(out).toEqual([`2 runbooks OK in ${dir}: m1, m2`]);
    expect(err).toEqual([
      `warning: ${dir}/m1.yml: serving.env: ROUTER_TOKEN is not set here: rollbacks through this serving layer fail without it`,
      `warning: ${dir}/m2.yml: serving.tokenEnv: MLFLOW_TOKEN is not set here: rollbacks through this serving layer fail without it`,
    ]);
  });
});
