import { RollbotError } from '../core/errors.js';
import { labelRouter } from '../core/routing.js';
import { closest } from '../core/suggest.js';
import type { Runbook } from '../runbooks/schema.js';

/** Where the runbooks were read from (RUNBOOKS_DIR, and each model's file): what a hint tells someone to edit. */
export interface RunbookFiles {
  dir: string;
  files?: ReadonlyMap<string, string>;
}

/** The loaded runbooks, looked up by model or routed by alert labels. */
export class RunbookSet {
  private readonly byModel: ReadonlyMap<string, Runbook>;
  private readonly router: (labels: Readonly<Record<string, string>>) => Runbook | undefined;

  constructor(
    readonly all: readonly Runbook[],
    private readonly where: RunbookFiles = { dir: 'runbooks' },
  ) {
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
        hint: `known models: ${this.models().join(', ') || 'none'}; add ${this.fileOf(model)} to manage it`,
        details: { model, known: this.models() },
      },
    );
  }

  /** The runbook whose `alerts.match` labels the alert carries, most specific first. */
  route(labels: Readonly<Record<string, string>>): Runbook | undefined {
    return this.router(labels);
  }

  /**
   * The file the runbook of `model` was read from, or where one for it would go (`<dir>/<model>.yml`): hints name
   * it, and the folder is RUNBOOKS_DIR's (`/runbooks` in the Deployment), not always `./runbooks`.
   */
  fileOf(model: string): string {
    return this.where.files?.get(model) ?? `${this.where.dir.replace(/\/+$/, '') || '.'}/${model}.yml`;
  }

  models(): string[] {
    return [...this.byModel.keys()].sort();
  }
}
