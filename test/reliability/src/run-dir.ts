import { inject } from 'vitest';
import { appendPid, appendSecrets } from './run-files.js';

/** The run directory made by global-setup.ts (see run-files.ts for what it holds). */
export function runDir(): string {
  return inject('reliability').runDir;
}

/** Remembers credentials so the leak check can look for them in every Manager log of the run. */
export function rememberSecrets(...values: (string | undefined)[]): void {
  appendSecrets(runDir(), values);
}

/** Remembers a process we started, so teardown can stop it if a test file left it running. */
export function rememberPid(pid: number, what: string): void {
  appendPid(runDir(), pid, what);
}

declare module 'vitest' {
  export interface ProvidedContext {
    reliability: { runDir: string };
  }
}
