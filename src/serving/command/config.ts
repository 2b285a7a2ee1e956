import { z } from 'zod';
import { duration, envName } from '../../runbooks/fields.js';

/** `serving: {adapter: command, …}`: a program run without a shell. */
export const commandConfig = z.strictObject({
  adapter: z.literal('command'),
  argv: z.array(z.string()).min(1, 'argv needs at least the program to run'),
  timeout: duration.default(120_000),
  /** Environment variables passed through to the command; nothing else is. */
  env: z.array(envName).default([]),
});
