import type { IncomingMessage, ServerResponse } from 'node:http';
import { RollbotError } from '../core/errors.js';
import { closest } from '../core/suggest.js';
import { MethodNotAllowedError } from './errors.js';

export type Handler = (
  req: IncomingMessage,
  res: ServerResponse,
  params: Record<string, string>,
) => Promise<void> | void;

interface Route {
  method: string;
  /** As added, e.g. `/api/incidents/:id`. */
  path: string;
  pattern: RegExp;
  names: string[];
  handler: Handler;
  /** Whether the route reads query parameters (and refuses those it does not know itself). */
  query: boolean;
}

/** A small method + path router: `/api/incidents/:id` style parameters, exact paths otherwise. */
export class Router {
  private readonly routes: Route[] = [];

  /** `options.query`: the route reads query parameters; the API's other routes refuse any (app.ts). */
  add(method: string, path: string, handler: Handler, options: { query?: boolean } = {}): this {
    const names: string[] = [];
    const source = path
      .split('/')
      .map((part) => {
        if (!part.startsWith(':')) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        names.push(part.slice(1));
        return '([^/]+)';
      })
      .join('/');
    this.routes.push({
      method,
      path,
      pattern: new RegExp(`^${source}/?$`),
      names,
      handler,
      query: options.query ?? false,
    });
    return this;
  }

  /**
   * The handler for a request, or NOT_FOUND (unknown path) or METHOD_NOT_ALLOWED (known path, other method).
   * HEAD is served by the GET route (RFC 9110 §9.3.2): load balancers and uptime checkers probe with it, and
   * Node's ServerResponse leaves out the body of a HEAD answer itself, keeping its status and headers.
   */
  match(method: string, path: string): { handler: Handler; params: Record<string, string>; query: boolean } {
    const routeMethod = method === 'HEAD' ? 'GET' : method;
    let pathKnown = false;
    for (const route of this.routes) {
      const found = route.pattern.exec(path);
      if (!found) continue;
      pathKnown = true;
      if (route.method !== routeMethod) continue;
      const params = Object.fromEntries(
        route.names.map((name, i) => [name, decodeSegment(found[i + 1] ?? '')]),
      );
      return { handler: route.handler, params, query: route.query };
    }
    if (pathKnown) throw new MethodNotAllowedError(method, path, this.allowed(path));
    // A webhook URL with a typo (`/alerts/grafna`) is set up once and read back from the sender's log: name the
    // route it was meant to be.
    const meant = closest(
      path,
      this.routes.filter((route) => route.names.length === 0).map((route) => route.path),
    );
    throw new RollbotError(
      'NOT_FOUND',
      `no route ${method} ${path}${meant ? ` (did you mean ${meant}?)` : ''}`,
      {
        hint: 'see README.md "Alerts in" and "HTTP API" for the routes',
      },
    );
  }

  /** The methods `path` answers, HEAD after GET since the GET route serves it. */
  private allowed(path: string): string[] {
    const methods = this.routes
      .filter((route) => route.pattern.test(path))
      .flatMap((route) => (route.method === 'GET' ? ['GET', 'HEAD'] : [route.method]));
    return [...new Set(methods)];
  }
}

/**
 * A path segment, percent-decoded. A stray `%` or half a UTF-8 sequence makes decodeURIComponent throw a
 * URIError, which is the caller's mistake (BAD_REQUEST), not the server's.
 */
function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new RollbotError(
      'BAD_REQUEST',
      `the path segment "${segment.slice(0, 100)}" is not valid percent-encoding`,
      {
        hint: 'percent-encode the value as UTF-8 (encodeURIComponent), e.g. a literal % is %25',
      },
    );
  }
}

/**
 * The path of a request's target. Node's HTTP parser passes on targets that WHATWG URL refuses (`http://[`, a port
 * over 65535): those are the caller's mistake (BAD_REQUEST), and must not escape the request listener, where
 * nothing would catch them and the process would stop.
 *
 * A target that starts with `/` is a path (RFC 9112 §3.2.1), also when it starts with `//`: resolved against a base
 * URL, `//alerts/alertmanager` would be a URL of the host "alerts", path /alertmanager. Doubled slashes, which a
 * base URL ending in `/` joined with a route gives (`https://rollbot.example/` + `/alerts/…`), are merged, as nginx
 * does by default.
 */
export function requestPath(target: string | undefined): string {
  const text = target ?? '/';
  try {
    const url = text.startsWith('/') ? new URL(`http://rollbot${text}`) : new URL(text, 'http://rollbot');
    return url.pathname.replace(/\/{2,}/g, '/');
  } catch {
    throw new RollbotError(
      'BAD_REQUEST',
      `the request target "${(target ?? '').slice(0, 100)}" is not a valid URL`,
      {
        hint: 'send a path such as /alerts/alertmanager, percent-encoded',
      },
    );
  }
}

/**
 * Refuses query parameters on an API route that reads none: ignored, `POST /api/rollbacks?dryRun=true` rolled back
 * for real and `GET /api/drills?model=x` answered every model. A bare `?` has none.
 */
export function refuseQuery(method: string, path: string, target: string | undefined): void {
  const names = [...new URL(target ?? '/', 'http://rollbot').searchParams.keys()];
  if (names.length === 0) return;
  const read = method === 'GET' || method === 'HEAD';
  throw new RollbotError(
    'BAD_REQUEST',
    `${method} ${path} takes no query parameters, got ${[...new Set(names)].map((name) => name.slice(0, 100)).join(', ')}`,
    {
      hint: read
        ? 'nothing was done: leave them out (see README.md "HTTP API")'
        : 'send them as fields of the JSON body (see README.md "HTTP API"); nothing was done',
    },
  );
}
