import { RollbotError } from '../core/errors.js';
import { labelRouter } from '../core/routing.js';
import { closest } from '../core/suggest.js';
import type { Runbook } from '../runbooks/schema.js';

/** The loaded runbooks, looked up by model or routed by alert labels. */
export class RunbookSet {
  private readonly byModel: ReadonlyMap<string, Runbook>;
  private readonly router: (labels: Readonly<Record<string, string>>) => Runbook | undefined;

  constructor(readonly all: readonly Runbook[]) {
    this.byModel = new Map(all.map((runbook) => [runbook.model, runbook]));
    this.router = labelRouter(all);
  }

  get(model: string): Runbook | undefined {
    return this.byModel.get(model);
  }

  /** The runbook for `model`, or UNKNOWN_MODEL listing the known models and the likeliest typo fix. */
  require(model: string): Runbook {
    const runbook = this.byModel.get(model);
    if (runbook) return runbook;
    const guess = closest(model, this.byModel.keys());
    throw new RollbotError(
      'UNKNOWN_MODEL',
      `no runbook for model "${model}"${guess ? ` (did you mean "${guess}"?)` : ''}`,
      {
        hint: `known models: ${this.models().join(', ') || 'none'}; add runbooks/${model}.yml to manage it`,
        details: { model, known: this.models() },
      },
    );
  }

  /** The runbook whose `alerts.match` labels the alert carries, most specific first. */
  route(labels: Readonly<Record<string, string>>): Runbook | undefined {
    return this.router(labels);
  }

  models(): string[] {
    return [...this.byModel.keys()].sort();
  }
}
