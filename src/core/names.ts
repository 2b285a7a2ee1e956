/**
 * Incident ids and model names in the case rollbot writes them, whatever surface they are typed on (Slack's
 * commands, the API, the CLI): an id is upper case (`INC-7`, store/*), a model's name lower case (runbooks/fields.ts
 * `modelName`), so `inc-7` or `Fraud-Scorer` — typed by hand, or from a script that upper-cases its variables — can
 * only mean those. Versions and everything else stay as written: they are the serving layer's names.
 */

/** `inc-7` as `INC-7`. */
export function incidentIdOf(text: string): string {
  return text.toUpperCase();
}

/** `Fraud-Scorer` as `fraud-scorer` (and `*`, every model, as it is). */
export function modelNameOf(text: string): string {
  return text.toLowerCase();
}

/** A route's path parameters with `:id` (an incident) and `:model` in rollbot's case. */
export function canonicalParams(params: Record<string, string>): Record<string, string> {
  return {
    ...params,
    ...(params.id === undefined ? {} : { id: incidentIdOf(params.id) }),
    ...(params.model === undefined ? {} : { model: modelNameOf(params.model) }),
  };
}
