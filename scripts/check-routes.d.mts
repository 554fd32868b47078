/** Types of check-routes.mjs, for the test that uses it. */
export function routesOf(app: unknown): string[];
export function documentedRoutes(document: unknown): string[];
export function routeDrift(
  app: unknown,
  document: unknown,
): { undocumented: string[]; missing: string[]; routes: string[] };
