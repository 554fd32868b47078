/** Where the Manager serves the dashboard. */
export const BASE = '/ui';

export interface JobFilters {
  readonly state?: string | undefined;
  readonly pipeline?: string | undefined;
  /** An ISO 8601 instant: only jobs updated at or after it. */
  readonly since?: string | undefined;
  readonly overdue?: boolean | undefined;
}

export type Route =
  | { readonly page: 'jobs'; readonly filters: JobFilters }
  | { readonly page: 'job'; readonly uuid: string }
  | { readonly page: 'pipelines' }
  | { readonly page: 'pipeline'; readonly uuid: string }
  | { readonly page: 'subscriptions' }
  | { readonly page: 'not-found'; readonly path: string };

const nonEmpty = (value: string | null) => (value === null || value.trim() === '' ? undefined : value.trim());

function decoded(part: string): string | undefined {
  try {
    return decodeURIComponent(part);
  } catch {
    return undefined;
  }
}

/** The page a location under /ui shows (the query holds the jobs list's filters). */
export function parseRoute(pathname: string, search: string): Route {
  const path = pathname.startsWith(BASE) ? pathname.slice(BASE.length) : pathname;
  const parts = path.split('/').filter(Boolean).map(decoded);
  // A malformed escape (`/ui/jobs/%E0%A4%A`) names no page.
  if (parts.includes(undefined)) return { page: 'not-found', path: pathname };
  const query = new URLSearchParams(search);
  if (parts.length === 0 || (parts.length === 1 && parts[0] === 'jobs')) {
    return {
      page: 'jobs',
      filters: {
        state: nonEmpty(query.get('state')),
        pipeline: nonEmpty(query.get('pipeline')),
        since: nonEmpty(query.get('since')),
        overdue: query.get('overdue') === 'true' ? true : undefined,
      },
    };
  }
  const [first, second] = parts;
  if (parts.length === 2 && first === 'jobs' && second) return { page: 'job', uuid: second };
  if (parts.length === 1 && first === 'pipelines') return { page: 'pipelines' };
  if (parts.length === 2 && first === 'pipelines' && second) return { page: 'pipeline', uuid: second };
  if (parts.length === 1 && first === 'subscriptions') return { page: 'subscriptions' };
  return { page: 'not-found', path: pathname };
}

/** The address of a page: what parseRoute reads back as the same route. */
export function hrefOf(route: Route): string {
  switch (route.page) {
    case 'jobs': {
      const query = new URLSearchParams();
      const { state, pipeline, since, overdue } = route.filters;
      if (state) query.set('state', state);
      if (pipeline) query.set('pipeline', pipeline);
      if (since) query.set('since', since);
      if (overdue) query.set('overdue', 'true');
      const text = query.toString();
      return `${BASE}/${text ? `?${text}` : ''}`;
    }
    case 'job':
      return `${BASE}/jobs/${encodeURIComponent(route.uuid)}`;
    case 'pipelines':
      return `${BASE}/pipelines`;
    case 'pipeline':
      return `${BASE}/pipelines/${encodeURIComponent(route.uuid)}`;
    case 'subscriptions':
      return `${BASE}/subscriptions`;
    case 'not-found':
      return route.path;
  }
}
