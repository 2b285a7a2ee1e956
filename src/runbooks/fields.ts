import { z } from 'zod';
import { parseDuration } from '../core/duration.js';

/** A duration written like `30s`, `5m`, `48h`, `7d`; parsed to milliseconds. */
export const duration = z
  .string({ error: 'expected a duration like 30s, 5m, 48h or 7d' })
  .transform((text, ctx) => {
    try {
      return parseDuration(text);
    } catch {
      ctx.issues.push({
        code: 'custom',
        input: text,
        message: `"${text}" is not a duration: write a number with a unit, like 30s, 5m, 48h or 7d`,
      });
      return z.NEVER;
    }
  });

/** A Slack user (U…/W…), user group (S…) or channel (C…/G…) ID. */
export const slackId = z
  .string()
  .regex(/^[UWSCG][A-Z0-9]{2,}$/, 'expected a Slack ID such as U024BE7LH (user), S0614TZR7 (user group)');

/** A model name as used in alerts, URLs and Redis keys. */
export const modelName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'expected lower-case letters, digits, ".", "_" or "-" (at most 63)');

/** A channel ID (C…/G…) or a `#name`, resolved to an ID when the bot starts talking to Slack. */
export const channel = z
  .string()
  .regex(
    /^([CG][A-Z0-9]{2,}|#[a-z0-9._-]{1,80})$/,
    'expected a channel ID like C0FRAUD01 or a name like #ml-alerts',
  );

/** The name of an environment variable that holds a secret, so that no secret is written in a runbook. */
export const envName = z
  .string()
  .regex(/^[A-Z_][A-Z0-9_]*$/, 'expected the NAME of an environment variable (secrets never go in runbooks)');
