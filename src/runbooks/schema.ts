import { z } from 'zod';
import { DEFAULT_SEVERITY_MAPPING, type Severity, type SeverityMapping } from '../core/severity.js';
import type { Targets } from '../core/stages.js';
import { TIER_DEFAULTS, type RollbackPolicy, type Tier } from './defaults.js';
import {
  channel,
  drillSchedule,
  duration,
  durationOrZero,
  links,
  modelName,
  nameMap,
  requiredText,
  slackIds,
  timeZone,
} from './fields.js';
import type { Link } from '../core/links.js';
import { pagingConfig, type PagingConfig } from '../paging/config.js';
import { servingConfig, type ServingConfig } from './serving.js';
import {
  refuseDrillOnProduction,
  refuseDuplicateNames,
  refuseEmptyRange,
  refuseFailingAboveSamples,
  refuseInvertedFail,
  refuseLonelyTwoPerson,
  refuseUnanswerableWindow,
  refuseUnreachableConfirmation,
} from './refinements.js';

const severityLevel = z.union([z.literal(1), z.literal(2), z.literal(3), z.literal(4)], {
  error: 'expected a severity from 1 (SEV-1, worst) to 4',
});

/** One triage or confirmation check: a PromQL query and the range it must stay in (DESIGN §4). */
const check = z
  .strictObject({
    name: requiredText("the check's name, like error rate"),
    kind: z.enum(['error', 'business', 'latency']),
    query: requiredText('the PromQL query the check measures'),
    /** Pass range; a value outside it is a breach. */
    min: z.number().optional(),
    max: z.number().optional(),
    /** Optional hard-fail range; between the pass range and this one the verdict is INCONCLUSIVE. */
    fail: z
      .strictObject({ min: z.number().optional(), max: z.number().optional() })
      .superRefine(refuseEmptyRange)
      .optional(),
    /** How to collapse several series into one value; default: the worst series (see `worstSeries`). */
    reduce: z.enum(['max', 'min', 'avg', 'sum', 'first']).optional(),
    /** What an empty result or NaN means. */
    noData: z.enum(['pass', 'fail', 'inconclusive']).default('inconclusive'),
    /** How values and thresholds read to people (`ratio`: as a percentage; `seconds`: ms below 1 s). */
    unit: z.enum(['ratio', 'seconds']).optional(),
  })
  .refine((c) => c.min !== undefined || c.max !== undefined, {
    message: 'a check needs a threshold: give min, max or both',
  })
  .superRefine(refuseEmptyRange)
  .superRefine(refuseInvertedFail)
  .transform((c) => ({ ...c, reduce: c.reduce ?? worstSeries(c) }));

/**
 * Several series (one per region, per pod) are judged by the worst of them unless the runbook says otherwise:
 * the lowest for a check with only a `min` (approval rate at 0.5 in one region and 0.9 in another is a
 * breach), else the highest. Judging a min-check by its best series would hide the region that is failing.
 */
function worstSeries(c: { min?: number | undefined; max?: number | undefined }): 'min' | 'max' {
  return c.max === undefined ? 'min' : 'max';
}

const target = duration(
  'a target of zero is missed the moment its stage starts, so every incident would escalate at once',
  'stageTarget',
);

/** targets.retro and retro.due: a retrospective's due time is a target with a longer bound. */
const retroTarget = duration(
  'a target of zero is missed the moment its stage starts, so every incident would escalate at once',
  'retro',
);

const targetsInput = z.strictObject({
  detect: target.optional(),
  triage: target.optional(),
  rollback: target.optional(),
  confirm: target.optional(),
  retro: retroTarget.optional(),
});

/** 72 h: long enough for a weekly traffic pattern's worst days to show up after a deployment. */
export const DEFAULT_WATCH_MS = 72 * 3_600_000;

const runbookInput = z.strictObject({
  model: modelName,
  owner: requiredText('the owning team, like "@fraud-ml"'),
  channel,
  tier: z
    .union([z.literal(1), z.literal(2), z.literal(3)], { error: 'expected tier 1 (high risk), 2 or 3' })
    .default(2),
  alerts: z
    .strictObject({
      match: nameMap(z.string())
        .refine((match) => Object.keys(match).length > 0, {
          message:
            'needs at least one label; to route alerts labelled model: <model>, leave alerts.match out',
        })
        .optional(),
    })
    .default({}),
  severity: z
    .strictObject({
      label: z
        .string()
        .trim()
        .min(
          1,
          'an empty label name matches no alert label, so every alert would get severity.default; name the label that carries severity (e.g. priority), or leave severity.label out for "severity"',
        )
        .default(DEFAULT_SEVERITY_MAPPING.label),
      map: nameMap(severityLevel, true).default({}),
      default: severityLevel.optional(),
    })
    .optional(),
  serving: servingConfig,
  triage: z
    .strictObject({
      checks: z.array(check).superRefine(refuseDuplicateNames('triage.checks')).default([]),
      /** Time between the measurements triage judges. */
      interval: duration(
        'measurements zero apart cannot be taken: Prometheus refuses a query step of zero',
        'interval',
      ).default(30_000),
      /** How many recent measurements triage judges (N). */
      samples: z.int().min(1).max(20).default(3),
      /** How many of them must breach (M of N); default: all of them. */
      failing: z.int().min(1).max(20).optional(),
      /** How far back the trend (sparkline) in messages reaches. */
      trend: duration(
        'a trend over the last zero seconds is empty: it shows nothing of how the check got here',
        'trend',
      ).default(900_000),
    })
    .superRefine(refuseFailingAboveSamples)
    .superRefine(refuseUnanswerableWindow)
    .default({ checks: [], interval: 30_000, samples: 3, trend: 900_000 }),
  rollback: z
    .strictObject({
      policy: z.enum(['auto', 'approve', 'two-person']).optional(),
      /** Who may roll back, approve or dismiss; empty means anyone (any member of the workspace). */
      approvers: slackIds.default([]),
      /** Roll back automatically even when Prometheus has no data (default: ask a person). */
      onNoData: z.enum(['ask', 'rollback']).default('ask'),
    })
    .superRefine(refuseLonelyTwoPerson)
    .default({ approvers: [], onNoData: 'ask' }),
  confirm: z
    .strictObject({
      /** Time between confirmation measurements. */
      interval: duration(
        'confirmation would measure again at once, over and over, without a pause',
        'interval',
      ).default(30_000),
      /**
       * Let rate() windows fill after the switch before the first measurement. Zero is allowed: with checks that
       * need no window to fill (a gauge, a health probe), measuring right after the switch is a choice.
       */
      initialDelay: durationOrZero('interval').default(30_000),
      /** Passes in a row (of every check) that confirm the rollback. */
      consecutive: z.int().min(1).max(100).default(3),
      /** How far from the pre-deployment baseline counts as restored (0.10 = within 10 %). */
      tolerance: z.number().min(0).max(10).default(0.1),
      /** Failed measurements tolerated; one more is "the rollback did not restore service". */
      failureLimit: z.int().min(0).max(100).default(2),
      /** Query errors in a row tolerated before the verdict is ERROR. */
      errorLimit: z.int().min(0).max(100).default(4),
      /** Confirmation checks, if they differ from the triage checks. */
      checks: z.array(check).superRefine(refuseDuplicateNames('confirm.checks')).optional(),
    })
    .default({
      interval: 30_000,
      initialDelay: 30_000,
      consecutive: 3,
      tolerance: 0.1,
      failureLimit: 2,
      errorLimit: 4,
    }),
  paging: pagingConfig.optional(),
  /** For the impact estimate: a query for the model's request rate (requests per second). */
  impact: z
    .strictObject({ requestRate: requiredText("the PromQL query of the model's requests per second") })
    .optional(),
  targets: targetsInput.default({}),
  escalation: z.strictObject({ mention: slackIds.default([]) }).default({ mention: [] }),
  /** Shown on every incident message and in the runbook summary. */
  links: links.default([]),
  drill: z
    .strictObject({
      schedule: drillSchedule.default('quarterly'),
      timezone: timeZone.default('UTC'),
      remind: z
        .array(
          duration(
            'a reminder zero before a drill comes with the drill itself, too late to prepare (to send fewer reminders, remove it)',
            'drillReminder',
          ),
        )
        .default([7 * 86_400_000, 86_400_000]),
      serving: servingConfig.optional(),
      dryRun: z.boolean().default(false),
    })
    .refine((d) => d.dryRun || d.serving !== undefined, {
      message: 'a drill needs a target: give drill.serving (e.g. the staging deployment) or dryRun: true',
    })
    .optional(),
  retro: z
    .strictObject({
      due: retroTarget.optional(),
      /** Who a reminder mentions; unset: the escalation.mention people (withTierDefaults). */
      mention: slackIds.optional(),
    })
    .default({}),
  /** How long after a deployment reaches 100 % the previous version is kept as the rollback target. */
  watch: duration(
    'a watch of zero ends the moment a deployment reaches 100 %, so the version it replaced is never kept as the rollback target',
    'watch',
  ).default(DEFAULT_WATCH_MS),
});

export type RunbookInput = z.input<typeof runbookInput>;

/** A validated runbook with every default filled in. Durations are milliseconds. */
export interface Runbook {
  model: string;
  owner: string;
  channel: string;
  tier: Tier;
  /** Labels an alert must carry to belong to this model (default: `model: <model>`). */
  match: Record<string, string>;
  severity: SeverityMapping;
  serving: ServingConfig;
  triage: { checks: Check[]; interval: number; samples: number; failing: number; trend: number };
  rollback: { policy: RollbackPolicy; approvers: string[]; onNoData: 'ask' | 'rollback' };
  confirm: {
    interval: number;
    initialDelay: number;
    consecutive: number;
    tolerance: number;
    failureLimit: number;
    errorLimit: number;
    checks: Check[];
  };
  impact?: { requestRate: string };
  paging?: PagingConfig;
  targets: Targets;
  escalation: { mention: string[] };
  links: Link[];
  drill?: { schedule: string; timezone: string; remind: number[]; serving?: ServingConfig; dryRun: boolean };
  /**
   * `mention`: who a retrospective's reminders mention (user / user-group IDs); the runbook's `retro.mention`, or
   * its `escalation.mention` when unset, so that the people paged are asked for the lessons too.
   */
  retro: { due: number; mention: string[] };
  /** The watch period after a deployment reaches 100 % (ms). */
  watch: number;
}

export type Check = z.output<typeof check>;

/**
 * The schema of a runbook file; parsing applies the defaults of the runbook's tier, then checks what only the
 * whole runbook shows.
 */
export const runbookSchema = runbookInput
  .transform(withTierDefaults)
  .superRefine(refuseUnreachableConfirmation)
  .superRefine(refuseDrillOnProduction);

function withTierDefaults(input: z.output<typeof runbookInput>): Runbook {
  const tier = input.tier as Tier;
  const defaults = TIER_DEFAULTS[tier];
  const targets: Targets = { ...defaults.targets };
  for (const [stage, ms] of Object.entries(input.targets)) {
    if (ms !== undefined) targets[stage as keyof Targets] = ms;
  }
  if (input.retro.due !== undefined) targets.retro = input.retro.due;
  const runbook: Runbook = {
    model: input.model,
    owner: input.owner,
    channel: input.channel,
    tier,
    match: input.alerts.match ?? { model: input.model },
    severity: {
      label: input.severity?.label ?? DEFAULT_SEVERITY_MAPPING.label,
      map: {
        ...DEFAULT_SEVERITY_MAPPING.map,
        ...lowerKeys((input.severity?.map ?? {}) as Record<string, Severity>),
      },
      default: input.severity?.default ?? DEFAULT_SEVERITY_MAPPING.default,
    },
    serving: input.serving,
    triage: { ...input.triage, failing: input.triage.failing ?? input.triage.samples },
    rollback: { ...input.rollback, policy: input.rollback.policy ?? defaults.policy },
    confirm: { ...input.confirm, checks: input.confirm.checks ?? input.triage.checks },
    targets,
    escalation: input.escalation,
    links: input.links,
    retro: { due: targets.retro, mention: input.retro.mention ?? input.escalation.mention },
    watch: input.watch,
  };
  if (input.impact) runbook.impact = input.impact;
  if (input.paging) runbook.paging = input.paging;
  if (input.drill) {
    const { serving, ...rest } = input.drill;
    runbook.drill = serving ? { ...rest, serving } : rest;
  }
  return runbook;
}

function lowerKeys<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).map(([key, value]) => [key.toLowerCase(), value]));
}
