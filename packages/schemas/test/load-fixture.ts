import { readFileSync } from 'node:fs';

/** A copied fixture (test/fixtures/, from the shared set), parsed. */
export function loadFixture(path: string): unknown {
  return JSON.parse(readFileSync(new URL(`./fixtures/${path}`, import.meta.url), 'utf8'));
}
