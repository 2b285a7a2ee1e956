import { z } from 'zod';
import { optionalText, requiredText } from '../../runbooks/fields.js';

/**
 * An AWS region as the SDK accepts one: a hostname label (it goes into api.sagemaker.<region>.amazonaws.com), by
 * the SDK's own test (@smithy isValidHostLabel). Not a list of today's regions, which grows.
 */
export function isAwsRegion(text: string): boolean {
  return /^(?!-)(?!.*-$)[a-zA-Z0-9-]{1,63}$/.test(text);
}

const awsRegion = z.string().refine(isAwsRegion, {
  error: (issue) => `${JSON.stringify(issue.input)} is not an AWS region: write one like eu-west-1`,
});

/** `serving: {adapter: sagemaker, …}`: a real-time endpoint. */
export const sagemakerConfig = z.strictObject({
  adapter: z.literal('sagemaker'),
  endpoint: requiredText('the endpoint name, like fraud-prod'),
  region: optionalText(awsRegion.optional()),
  /** For multi-variant endpoints: the variant that keeps the known-good model. */
  stableVariant: optionalText(z.string().optional()),
});
