/** A link for people, from a runbook (`links:`) or an alert (its source). */
export interface Link {
  name: string;
  url: string;
}

/** The longest URL rollbot keeps: longer ones are not links anyone follows, and they eat message space. */
export const MAX_URL_LENGTH = 2000;

/**
 * `text` when it is an absolute http(s) URL of at most MAX_URL_LENGTH characters, else undefined. Alert
 * sources send what they like here; anything else (`javascript:`, a relative path) is not shown as a link.
 */
export function webUrl(text: string | undefined): string | undefined {
  if (!text || text.length > MAX_URL_LENGTH) return undefined;
  try {
    const { protocol } = new URL(text);
    return protocol === 'http:' || protocol === 'https:' ? text : undefined;
  } catch {
    return undefined;
  }
}
