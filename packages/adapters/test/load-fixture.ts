import { readFileSync } from 'node:fs';

/** A copied fixture (test/fixtures/, from the shared set), parsed. */
export function loadFixture(path: string): unknown {
  return JSON.parse(readFileSync(new URL(`./fixtures/${path}`, import.meta.url), 'utf8'));
}

/** The job and token the manager fixtures were run with (REFERENCE §12). */
export const MANAGER_JOB = '10766b61-49f0-524d-a17f-f4bd42bdfce7';
export const MANAGER_TOKEN = 'c2f338f3e79e4f86';
/** The job and placeholder token of the jobs and Tapis fixtures. */
export const TACOBOT_JOB = '107b93f3-1eae-5e79-8a18-0a480f8aa3a5';
export const FIXTURE_TOKEN = '0dc73dc3ff39b49a';
