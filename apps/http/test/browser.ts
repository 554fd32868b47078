import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

/** Debian's chromium package: the browser the dashboard tests drive (never a downloaded one). */
const CHROMIUM = '/usr/bin/chromium';

/**
 * Headless Chromium for a test file (one per file; its pages are reused). Fails, never skips,
 * when the browser is not installed: CI installs it, and a developer is told how.
 */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `The dashboard's browser tests need Chromium at ${CHROMIUM}: apt-get install chromium (Debian's package; .ci/run installs it). No browser is downloaded.`,
    );
  }
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
}
