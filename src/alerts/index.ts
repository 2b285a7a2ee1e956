import { parseAlertmanager } from './alertmanager.js';
import { parseGeneric } from './generic.js';
import { parseGrafana } from './grafana.js';
import type { AlertIntakeSource, NormalizedAlert } from './types.js';

/**
 * The parser for each alert route: `POST /alerts/alertmanager`, `POST /alerts/grafana` and `POST /alerts`.
 * Each takes the decoded JSON body and returns normalized alerts, or throws `RollbotError('BAD_REQUEST')`
 * whose `details` list the failing fields.
 */
export const ALERT_PARSERS = {
  alertmanager: parseAlertmanager,
  grafana: parseGrafana,
  generic: parseGeneric,
} satisfies Record<AlertIntakeSource, (body: unknown) => NormalizedAlert[]>;

export { leftOut, parseAlertmanager } from './alertmanager.js';
export { MAX_ALERTS_PER_BODY, MAX_NAME_CHARS, MAX_SUMMARY_CHARS, parseRfc3339 } from './wire-alert.js';
export {
  alertValidationError,
  formatPath,
  type FieldProblem,
  type ValidationErrorOptions,
} from './errors.js';
export { GENERIC_ALERT_KEYS, genericFingerprint, parseGeneric } from './generic.js';
export { parseGrafana } from './grafana.js';
export { unroutedReason, unroutedReasons } from './unrouted.js';
export type { AlertIntakeSource, NormalizedAlert } from './types.js';
