/**
 * The API bodies' fields that say who acted and which version: trimmed, and refused when blank (`"$USER"` or
 * `"$VERSION"` with the variable unset, and a space), since the timeline — the compliance record — would name nobody,
 * and a ledger entry or a rollback target no version.
 */
import { z } from 'zod';

/** A version as the serving layer names it, without spaces around it (a value pasted with its newline). */
export const version = z.string().trim().min(1, 'is blank: give the version as the serving layer names it');

/** Who acts, required: `does` says what (`freezes`), `who` what to give. */
export const actor = (field: string, does: string, who: string) =>
  z
    .string({ error: `name who ${does}: ${who}` })
    .trim()
    .min(1, `name who ${does}: ${who}`)
    .max(100, `${field} is at most 100 characters`);

/**
 * Who acts where the runbook's rollback.approvers decides who may (an approval, an override and its revocation, a
 * freeze and its lift, a dismissal): every such field takes this one form. Not only Slack user IDs: a runbook listing
 * nobody lets anyone act (core/policy.ts mayAct), the CLI's `cli:<login>` through these fields; a name the runbook
 * does not allow is refused by authorize, with a denial on the record, as in Slack. The API token says the caller is
 * a trusted script, not who may act.
 */
export const approver = (field: string, does: string) =>
  actor(
    field,
    does,
    'a Slack user ID that rollback.approvers allows, directly or through a user group (any name where it lists nobody)',
  );

/** Who asked, for the timeline, when the caller may leave it to `api`: blank is refused, not recorded. */
export const caller = (field: string, does: string) =>
  actor(field, does, `the CI job or the person behind the script, or leave ${field} out`).default('api');
