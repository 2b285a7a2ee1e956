/**
 * Runbook fields the two universal adapters (http, command) share. Apart from universal.ts, which the engine's
 * ports import: the runbook schema imports these, and the ports import the schema.
 */
import { duration } from '../runbooks/fields.js';

/** `eta`: no layer moves traffic in no time, and people read the ETA to know how long to wait. */
export const eta = duration(
  'an ETA of zero promises an instant switch, which no serving layer makes (a rollback waits up to twice the ETA for traffic to move)',
  'eta',
);
