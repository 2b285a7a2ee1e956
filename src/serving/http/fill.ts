/**
 * Turns the runbook's request template into a concrete request: each part filled with the encoding its
 * context needs (URL components, JSON string content, form values), header names lower-cased so that a
 * runbook's `Content-Type` and requestJson's `content-type` cannot both be sent.
 */
import { RollbotError, ServingError } from '../../core/errors.js';
import {
  fillFormTemplate,
  fillJsonTemplate,
  fillTemplate,
  fillUrlTemplate,
  isJsonContentType,
  type TemplateValues,
} from '../template.js';
import type { HttpRequestConfig } from './config.js';

export interface FilledRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
  contentType?: string;
}

/**
 * Fills `template`. With `values.keepMissing` (plans) the result is for people only: it may hold
 * `{{incident}}` and is not checked to be valid JSON.
 */
export function fillRequest(template: HttpRequestConfig, values: TemplateValues): FilledRequest {
  const url = fillUrlTemplate(template.url, values);
  const headers: Record<string, string> = {};
  for (const [name, text] of Object.entries(template.headers)) {
    const value = fillTemplate(text, values);
    // A line break in a header value would let a value start a header of its own; Node would also throw.
    if (hasControlCharacter(value)) {
      throw new ServingError(`header ${name} would contain a control character (line break?)`, {
        transient: false,
        hint: 'check the values placed in the header: versions and reasons must be single-line text',
      });
    }
    headers[name.toLowerCase()] = value;
  }
  checkUrl(url, values);
  const contentType =
    headers['content-type'] ?? (template.body === undefined ? undefined : 'application/json');
  delete headers['content-type'];
  const filled: FilledRequest = { method: template.method, url, headers };
  if (template.body !== undefined && contentType !== undefined) {
    filled.body = fillBody(template.body, contentType, values);
    filled.contentType = contentType;
  }
  return filled;
}

/** True for C0 controls other than tab, and DEL: what may not appear in a header value. */
function hasControlCharacter(text: string): boolean {
  return [...text].some((char) => {
    const code = char.charCodeAt(0);
    return (code < 0x20 && code !== 0x09) || code === 0x7f;
  });
}

function checkUrl(url: string, values: TemplateValues): void {
  if (values.keepMissing || values.maskEnv) return;
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (parsed === undefined || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
    throw new RollbotError('INVALID_CONFIG', 'the request url is not an http(s) URL once filled', {
      hint: 'check the url in the serving block and the environment variables it uses',
    });
  }
}

type JsonBody = NonNullable<HttpRequestConfig['body']>;

function fillBody(body: JsonBody, contentType: string, values: TemplateValues): string {
  // A YAML body is filled leaf by leaf and then JSON-encoded: JSON.stringify does all the escaping.
  if (typeof body !== 'string') return JSON.stringify(fillLeaves(body, values));
  if (isJsonContentType(contentType)) {
    const text = fillJsonTemplate(body, values);
    if (!values.keepMissing) checkJson(text);
    return text;
  }
  if (/^application\/x-www-form-urlencoded\b/i.test(contentType)) return fillFormTemplate(body, values);
  return fillTemplate(body, values);
}

function fillLeaves(value: unknown, values: TemplateValues): unknown {
  if (typeof value === 'string') return fillTemplate(value, values);
  if (Array.isArray(value)) return value.map((item) => fillLeaves(item, values));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, fillLeaves(item, values)]));
  }
  return value;
}

function checkJson(text: string): void {
  try {
    JSON.parse(text);
  } catch {
    throw new RollbotError('INVALID_CONFIG', 'the request body is not valid JSON once filled', {
      hint: 'put placeholders inside JSON strings ("reason": "{{reason}}"), or write the body as YAML',
    });
  }
}

/** One line for plans and timelines: method, URL, headers, body (already masked by the caller). */
export function describeRequest(request: FilledRequest, extraHeaders: Record<string, string> = {}): string {
  const headers = Object.entries({ ...request.headers, ...extraHeaders }).map(([k, v]) => `${k}: ${v}`);
  const parts = [`${request.method} ${request.url}`];
  if (headers.length > 0) parts.push(`headers {${headers.join(', ')}}`);
  if (request.body !== undefined) parts.push(`body ${shorten(request.body, 500)}`);
  return parts.join(' ');
}

/** `text` cut to `max` characters, marked when cut. */
export function shorten(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length - max} more characters)`;
}

/**
 * The value at a dotted path (`active.version`, `items.0.tag`) of a parsed JSON body: undefined when a step
 * is missing. Own properties only, so that `constructor` or `__proto__` read nothing.
 */
export function valueAtPath(body: unknown, path: string): unknown {
  let value: unknown = body;
  for (const step of path.split('.')) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, step)) return undefined;
    value = (value as Record<string, unknown>)[step];
  }
  return value;
}
