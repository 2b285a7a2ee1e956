import { z } from 'zod';
import { duration } from '../../runbooks/fields.js';

const httpRequest = z.strictObject({
  method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']).default('POST'),
  url: z.string().min(1),
  headers: z.record(z.string(), z.string()).default({}),
  body: z.string().optional(),
});

/** `serving: {adapter: http, …}`: a templated request to a router or deploy job. */
export const httpConfig = z.strictObject({
  adapter: z.literal('http'),
  rollback: httpRequest,
  status: httpRequest.optional(),
  timeout: duration.default(10_000),
});
