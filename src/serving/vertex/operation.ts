/**
 * Vertex long-running operations, as deployModel answers one and `GET /v1/{name}` reads it again:
 * `{name, done, error?, response?}`, `error` being a google.rpc.Status.
 */
import { z } from 'zod';
import type { MachineResources } from './state.js';

export const operationSchema = z.object({
  name: z.string().min(1),
  done: z.boolean().optional(),
  error: z
    .object({ code: z.number().optional(), message: z.string().optional(), status: z.string().optional() })
    .optional(),
});

export type Operation = z.output<typeof operationSchema>;

/** The body of `POST …/endpoints/{E}:deployModel`; `"0"` in trafficSplit is the model being deployed. */
export interface DeployModelRequest {
  deployedModel: {
    id: string;
    model: string;
    displayName: string;
    serviceAccount?: string;
  } & MachineResources;
  trafficSplit: Record<string, number>;
}

/** An operation's error in words: its status name and code, and what Vertex said. */
export function describeOperationError(error: NonNullable<Operation['error']>): string {
  const code = [error.status, error.code === undefined ? undefined : `code ${error.code}`]
    .filter((part) => part !== undefined)
    .join(', ');
  return `${error.message ?? 'no message'}${code === '' ? '' : ` (${code})`}`;
}
