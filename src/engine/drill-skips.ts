import type { EngineDeps } from './context.js';

/** A scheduled drill occurrence that did not run: when it was due (epoch ms), and why it was skipped. */
export interface SkippedDrill {
  at: number;
  reason: string;
}

const lastSkipKey = (model: string) => `drill:last-skipped:${model}`;

/**
 * Remembers the model's last skipped occurrence for the drill list (`rollbot drill list`, `/drill list`,
 * `GET /api/drills`): whoever asks why no drill ran this quarter finds it there, not only in the channel and log.
 */
export async function noteSkipped(
  deps: Pick<EngineDeps, 'store'>,
  model: string,
  skip: SkippedDrill,
): Promise<void> {
  await deps.store.setValue(lastSkipKey(model), JSON.stringify(skip));
}

/** The model's last skipped occurrence, if one was. */
export async function lastSkipped(
  deps: Pick<EngineDeps, 'store'>,
  model: string,
): Promise<SkippedDrill | undefined> {
  const raw = await deps.store.getValue(lastSkipKey(model));
  return raw ? (JSON.parse(raw) as SkippedDrill) : undefined;
}
