import { createTestServices, TEST_SECRET } from '@pipelinejobs/service/testing';
import { describe, expect, it } from 'vitest';
import { routeDrift } from '../../../scripts/check-routes.mjs';
import { createApp } from '../src/app.js';
import { createLogger } from '../src/logging.js';
import { createMetrics } from '../src/metrics.js';
import { openApiDocument } from '../src/openapi.js';

describe('the OpenAPI document and the router', () => {
  it('name the same routes: none undocumented, none documented that does not exist', () => {
    // Built, never listened on: no use case runs, so the database is never touched.
    const app = createApp({
      services: createTestServices(undefined as never, { secret: TEST_SECRET }),
      logger: createLogger('silent'),
      metrics: createMetrics(),
      rateLimitPerMinute: 1000,
    });
    const drift = routeDrift(app, openApiDocument());
    expect(drift.routes.length).toBeGreaterThan(15);
    expect({ undocumented: drift.undocumented, missing: drift.missing }).toEqual({
      undocumented: [],
      missing: [],
    });
  });
});
