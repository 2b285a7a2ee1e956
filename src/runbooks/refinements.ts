/**
 * What one field's type cannot say: the runbook checks that compare fields, each refusing a runbook that would load
 * but never work (an empty range, a confirmation that cannot pass), with the fix in its message.
 */
import { isDeepStrictEqual } from 'node:util';
import type { z } from 'zod';
import { formatDuration } from '../core/duration.js';
import { isUserGroupId } from '../core/policy.js';
import { triageWindowMs } from '../core/gates.js';
import { MAX_RANGE_STEPS, stepsOverLimit } from '../metrics-source/range-limit.js';

/**
 * A range with min above max holds no value: every measurement would breach it, and a tier-1 model would roll back
 * on every alert. Swapped bounds are a typo, so they stop the load.
 */
export function refuseEmptyRange(
  range: { min?: number | undefined; max?: number | undefined },
  ctx: z.RefinementCtx,
) {
  if (range.min === undefined || range.max === undefined || range.min <= range.max) return;
  ctx.addIssue({
    code: 'custom',
    input: range.min,
    path: ['min'],
    message: `min ${range.min} is above max ${range.max}: the range is empty, so every measurement would breach; swap them or fix the wrong one`,
  });
}

type Bounds = { min?: number | undefined; max?: number | undefined };

/**
 * Outside the fail range is FAIL and between it and the pass range INCONCLUSIVE, so a fail range that starts
 * beyond the pass range judges the worst values more mildly than the lesser ones: `max: 0.02, fail: { min: 0.1 }`
 * (meant as "fail at 10 %") makes 3 % FAIL and 50 % INCONCLUSIVE, and policy auto never rolls back on the worst
 * breaches. A fail bound on a side the pass range leaves open, or inside it, changes no verdict and stays allowed.
 */
export function refuseInvertedFail(c: Bounds & { fail?: Bounds | undefined }, ctx: z.RefinementCtx) {
  const { fail } = c;
  // An empty fail range is refuseEmptyRange's to report: one problem at a time.
  if (!fail || (fail.min !== undefined && fail.max !== undefined && fail.min > fail.max)) return;
  if (fail.min !== undefined && c.max !== undefined && fail.min > c.max) {
    ctx.addIssue({
      code: 'custom',
      input: fail.min,
      path: ['fail', 'min'],
      message: `fail.min ${fail.min} is above max ${c.max}: values above ${c.max} would FAIL up to ${fail.min} and the worse ones from ${fail.min} be INCONCLUSIVE; to fail above ${fail.min}, write fail: { max: ${fail.min} }`,
    });
  }
  if (fail.max !== undefined && c.min !== undefined && fail.max < c.min) {
    ctx.addIssue({
      code: 'custom',
      input: fail.max,
      path: ['fail', 'max'],
      message: `fail.max ${fail.max} is below min ${c.min}: values below ${c.min} would FAIL down to ${fail.max} and the worse ones from ${fail.max} be INCONCLUSIVE; to fail below ${fail.max}, write fail: { min: ${fail.max} }`,
    });
  }
}

/**
 * M of N: a check FAILs when `failing` of the last `samples` measurements breach, so more than N can never happen
 * and the check could never fail. Reported at `failing`, the field written last and the likelier slip.
 */
export function refuseFailingAboveSamples(
  t: { samples: number; failing?: number | undefined },
  ctx: z.RefinementCtx,
) {
  if (t.failing === undefined || t.failing <= t.samples) return;
  ctx.addIssue({
    code: 'custom',
    input: t.failing,
    path: ['failing'],
    message: `${t.failing} of ${t.samples} measurements can never breach: failing (M) is at most samples (N); lower failing or raise samples`,
  });
}

/**
 * Triage measures with one range query over its window (`triageWindowMs`) at the triage interval. Past
 * Prometheus' points limit every such query is refused, every check is ERROR, and triage never measures
 * anything: better said at load than at the first incident.
 */
export function refuseUnanswerableWindow(
  t: { interval: number; samples: number; trend: number },
  ctx: z.RefinementCtx,
) {
  // A zero interval is the interval field's own problem.
  if (!(t.interval > 0)) return;
  const intervals = stepsOverLimit(triageWindowMs(t), t.interval);
  if (intervals === undefined) return;
  ctx.addIssue({
    code: 'custom',
    input: t.trend,
    path: ['trend'],
    message: `a trend of ${formatDuration(t.trend)} every ${formatDuration(t.interval)} is ${intervals} intervals per query, above Prometheus' limit of ${MAX_RANGE_STEPS.toLocaleString('en-US')}: shorten triage.trend or lengthen triage.interval`,
  });
}

/**
 * Confirmation passes on its `consecutive`-th poll, but ends INCONCLUSIVE at any poll from the confirm target on
 * (core/gates.ts `confirmVerdict`). When the poll before the last one needed already comes at the target, no
 * rollback of the model can ever be confirmed: every one escalates, found at the first incident.
 */
export function refuseUnreachableConfirmation(
  runbook: {
    confirm: { consecutive: number; interval: number; initialDelay: number };
    targets: { confirm: number };
  },
  ctx: z.RefinementCtx,
) {
  const { consecutive, interval, initialDelay } = runbook.confirm;
  if (consecutive < 2) return;
  const before = initialDelay + (consecutive - 2) * interval;
  if (before < runbook.targets.confirm) return;
  ctx.addIssue({
    code: 'custom',
    input: consecutive,
    path: ['confirm', 'consecutive'],
    message: `${consecutive} passes in a row every ${formatDuration(interval)} after ${formatDuration(initialDelay)} can never confirm: poll ${consecutive - 1} of ${consecutive} comes ${formatDuration(before)} after the start, when the confirm target (${formatDuration(runbook.targets.confirm)}) has ended the confirmation INCONCLUSIVE; lower confirm.consecutive or confirm.interval, or raise targets.confirm`,
  });
}

/**
 * A drill rehearses the rollback on its drill target so that production is never touched: a `drill.serving` that
 * is the `serving` block itself (copied over and never changed) would roll production back every quarter, labelled
 * DRILL. A drill that only plans (`dryRun: true`) changes nothing and may keep it.
 */
export function refuseDrillOnProduction(
  runbook: { serving: unknown; drill?: { serving?: unknown; dryRun: boolean } | undefined },
  ctx: z.RefinementCtx,
) {
  const drill = runbook.drill;
  if (!drill?.serving || drill.dryRun || !isDeepStrictEqual(drill.serving, runbook.serving)) return;
  ctx.addIssue({
    code: 'custom',
    input: drill.serving,
    path: ['drill', 'serving'],
    message:
      'the drill target is the production deployment (serving): every drill would roll back production; point drill.serving at a staging deployment, or write dryRun: true to plan only',
  });
}

/**
 * Confirmation keeps each check's baseline under the check's name (engine/confirm-baselines.ts), and messages, the timeline and
 * the report tell checks apart by it: two checks of one list with the same name (one per region, say) would share one
 * baseline, and a region could be judged restored against the other's. `list` is the list's path, for the message.
 */
export function refuseDuplicateNames(list: string) {
  return (checks: readonly { name: string }[], ctx: z.RefinementCtx) => {
    const first = new Map<string, number>();
    checks.forEach(({ name }, index) => {
      const earlier = first.get(name);
      if (earlier === undefined) {
        first.set(name, index);
        return;
      }
      ctx.addIssue({
        code: 'custom',
        input: name,
        path: [index, 'name'],
        message: `"${name}" is also the name of ${list}.${earlier}: confirmation keeps each check's baseline by its name, and messages tell checks apart by it; give each check its own name`,
      });
    });
  };
}

/**
 * Under the two-person rule the requester and the approver are different people, each allowed by
 * rollback.approvers (engine/rollback-request.ts): a list naming one person and no group lets that person ask and
 * nobody approve, so no rollback could ever happen. A group may have several members (Slack says at the time).
 */
export function refuseLonelyTwoPerson(
  rollback: { policy?: string | undefined; approvers: readonly string[] },
  ctx: z.RefinementCtx,
) {
  const { policy, approvers } = rollback;
  if (policy !== 'two-person' || approvers.length === 0 || approvers.some(isUserGroupId)) return;
  const people = [...new Set(approvers)];
  if (people.length > 1) return;
  ctx.addIssue({
    code: 'custom',
    input: approvers,
    path: ['approvers'],
    message: `the two-person rule needs a requester and a different approver, both among rollback.approvers, which names one person (${people.join(', ')}): no rollback could ever be approved; add a second person or a user group, or write policy: approve`,
  });
}
