/**
 * A real Alertmanager (Debian package `prometheus-alertmanager`) routing every alert, grouped by model, to
 * rollbot's webhook with its bearer token — the way a production install delivers alerts.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { startService } from '../../helpers/service-process.js';

export interface AlertmanagerProcess {
  url: string;
  stop(): Promise<void>;
}

/**
 * Short group timings so a firing alert reaches rollbot within a second or two; `send_resolved` so the bot also
 * sees the alert end after the rollback.
 */
export function alertmanagerConfig(options: { webhookUrl: string; token: string }): string {
  return stringify({
    route: {
      receiver: 'rollbot',
      group_by: ['model'],
      group_wait: '1s',
      group_interval: '1s',
      repeat_interval: '1h',
    },
    receivers: [
      {
        name: 'rollbot',
        webhook_configs: [
          {
            url: options.webhookUrl,
            send_resolved: true,
            http_config: { authorization: { type: 'Bearer', credentials: options.token } },
          },
        ],
      },
    ],
  });
}

/** Starts Alertmanager on `port` (chosen beforehand: Prometheus's config names it before it runs). */
export async function startAlertmanager(options: {
  port: number;
  webhookUrl: string;
  token: string;
}): Promise<AlertmanagerProcess> {
  const dir = await mkdtemp(join(tmpdir(), 'rollbot-alertmanager-'));
  const removeDir = () => rm(dir, { recursive: true, force: true });
  await writeFile(join(dir, 'alertmanager.yml'), alertmanagerConfig(options));
  const url = `http://127.0.0.1:${options.port}`;
  const service = await startService({
    command: 'prometheus-alertmanager',
    args: [
      `--config.file=${join(dir, 'alertmanager.yml')}`,
      `--storage.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${options.port}`,
      // One instance, no gossip: an empty cluster address turns high-availability mode off.
      '--cluster.listen-address=',
    ],
    debianPackage: 'prometheus-alertmanager',
    readyWhen: { url: `${url}/-/ready` },
  }).catch(async (error: unknown) => {
    await removeDir();
    throw error;
  });
  return {
    url,
    async stop() {
      await service.stop();
      await removeDir();
    },
  };
}
