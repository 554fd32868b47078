import { existsSync } from 'node:fs';
import { type Browser, type BrowserContextOptions, chromium, type Page } from 'playwright-core';

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

/**
 * A page in a new context with these options, a 10 s default timeout, and the page's uncaught
 * errors and Content-Security-Policy refusals pushed to `pageErrors` (which the tests expect empty).
 */
export async function openPage(
  browser: Browser,
  options: BrowserContextOptions,
  pageErrors: string[],
): Promise<Page> {
  const context = await browser.newContext(options);
  context.setDefaultTimeout(10_000);
  const page = await context.newPage();
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('console', (message) => {
    if (/Content.Security.Policy/i.test(message.text())) pageErrors.push(message.text());
  });
  return page;
}
