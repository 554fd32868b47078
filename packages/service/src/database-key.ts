/**
 * The key under which the Services hold their database. The package's index does not export it:
 * the apps reach the database only through the use cases (tests through `databaseOf` of
 * @pipelinejobs/service/testing), so no app can run SQL of its own or skip a role check.
 */
export const DATABASE: unique symbol = Symbol('database');
