/**
 * The blameless retrospective every resolved incident (and failed drill) gets, by responsibility: opening it
 * (retro-open.ts), its reminders (retro-reminders.ts), completing it (retro-complete.ts), its storage
 * (retro-store.ts) and the questions asked of it (retro-queries.ts).
 */
export { getRetrospective } from './retro-store.js';
export { closeActionItem, openActionItems, retroCounts } from './retro-queries.js';
export {
  openRetrospective,
  RETRO_OPEN,
  RETRO_OPEN_GRACE_MS,
  retroOpened,
  scheduleRetroOpening,
} from './retro-open.js';
export { handleRetroReminder, RETRO_REMINDER } from './retro-reminders.js';
export { completeRetrospective, type RetroInput } from './retro-complete.js';
