import { describe, expect, it } from 'vitest';
import { hrefOf, parseRoute, type Route } from './route.js';

describe('dashboard addresses', () => {
  it('read back as the page they were made from', () => {
    const routes: Route[] = [
      {
        page: 'jobs',
        filters: { state: undefined, pipeline: undefined, since: undefined, overdue: undefined },
      },
      {
        page: 'jobs',
        filters: { state: 'RUNNING', pipeline: '106-abc', since: '2026-11-28T00:00:00.000Z', overdue: true },
      },
      { page: 'job', uuid: '107e2f0a-0000-4000-8000-000000000001' },
      { page: 'pipelines' },
      { page: 'pipeline', uuid: '106-abc' },
      { page: 'subscriptions' },
    ];
    for (const route of routes) {
      const url = new URL(hrefOf(route), 'http://manager.test');
      expect(parseRoute(url.pathname, url.search)).toEqual(route);
    }
  });

  it('open the jobs list at /ui and /ui/, and name no page for an unknown path', () => {
    expect(parseRoute('/ui', '').page).toBe('jobs');
    expect(parseRoute('/ui/', '?state=FAILED')).toMatchObject({ page: 'jobs', filters: { state: 'FAILED' } });
    expect(parseRoute('/ui/nowhere/at/all', '')).toEqual({ page: 'not-found', path: '/ui/nowhere/at/all' });
    // A malformed escape is an unknown path, not an exception.
    expect(parseRoute('/ui/jobs/%E0%A4%A', '')).toEqual({ page: 'not-found', path: '/ui/jobs/%E0%A4%A' });
  });
});
