#!/usr/bin/env node
// Part of `pnpm lint` (after the http app is built): fails when the Manager answers a route
// that its OpenAPI document does not describe, or the document describes one it does not answer.
import { fileURLToPath } from 'node:url';

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

/** Every `METHOD /path` an Express app's routers answer, with `:param` written `{param}`. */
export function routesOf(app) {
  const found = [];
  const walk = (stack) => {
    for (const layer of stack) {
      if (layer.route) {
        const path = layer.route.path.replace(/:(\w+)/g, '{$1}');
        for (const [method, on] of Object.entries(layer.route.methods)) {
          if (on && METHODS.includes(method)) found.push(`${method.toUpperCase()} ${path}`);
        }
      } else if (layer.handle?.stack) {
        walk(layer.handle.stack);
      }
    }
  };
  walk(app.router.stack);
  return found.sort();
}

/** Every `METHOD /path` an OpenAPI document describes. */
export function documentedRoutes(document) {
  return Object.entries(document.paths)
    .flatMap(([path, operations]) =>
      Object.keys(operations)
        .filter((method) => METHODS.includes(method))
        .map((method) => `${method.toUpperCase()} ${path}`),
    )
    .sort();
}

/** What only one side has: routes without documentation, documentation without a route. */
export function routeDrift(app, document) {
  const routes = routesOf(app);
  const documented = documentedRoutes(document);
  return {
    undocumented: routes.filter((route) => !documented.includes(route)),
    missing: documented.filter((route) => !routes.includes(route)),
    routes,
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const dist = new URL('../apps/http/dist/', import.meta.url);
  const { createApp } = await import(new URL('app.js', dist).href);
  const { createLogger } = await import(new URL('logging.js', dist).href);
  const { createMetrics } = await import(new URL('metrics.js', dist).href);
  const { openApiDocument } = await import(new URL('openapi.js', dist).href);
  // Built, never listened on: no use case runs, so the services are never touched.
  const app = createApp({
    services: {},
    logger: createLogger('silent'),
    metrics: createMetrics(),
    rateLimitPerMinute: 1,
  });
  const { undocumented, missing, routes } = routeDrift(app, openApiDocument());
  if (routes.length === 0 || undocumented.length > 0 || missing.length > 0) {
    console.error('The OpenAPI document and the router disagree (apps/http/src/openapi.ts, routes/):');
    for (const route of undocumented) console.error(`  answered but not documented: ${route}`);
    for (const route of missing) console.error(`  documented but not answered: ${route}`);
    if (routes.length === 0) console.error('  no route found at all');
    process.exit(1);
  }
  console.log(`Routes match the OpenAPI document (${routes.length}).`);
}
