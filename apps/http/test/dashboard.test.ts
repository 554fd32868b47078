import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import type { JobUuid } from '@pipelinejobs/core';
import { distDir } from '@pipelinejobs/dashboard';
import { loadFixture, TACOBOT_JOB } from '@pipelinejobs/fixtures';
import { createNonce, systemPrincipal } from '@pipelinejobs/service';
import { createTestServices, TEST_SECRET } from '@pipelinejobs/service/testing';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../../test/manager-process.js';
import { createApp } from '../src/app.js';
import { createLogger } from '../src/logging.js';
import { createMetrics } from '../src/metrics.js';
import { listen } from '../src/server.js';
import { launchChromium, openPage } from './browser.js';
import { type Manager, startManager } from './harness.js';

// The dashboard (apps/dashboard, served at /ui) in headless Chromium against a real Manager on a
// real database. The screenshots the README shows are taken here; they are written to
// docs/screenshots when missing or with PIPELINEJOBS_UPDATE_DOCS=1 (else to a scratch folder):
//   PIPELINEJOBS_UPDATE_DOCS=1 pnpm exec vitest run apps/http/test/dashboard.test.ts
const SHOTS = join(REPO_ROOT, 'docs', 'screenshots');
const update = process.env.PIPELINEJOBS_UPDATE_DOCS === '1';
const scratch = mkdtempSync(join(tmpdir(), 'pj-dashboard-'));

let m: Manager;
let browser: Browser;
let page: Page;
const tokens = new Map<string, string>();
let firstJob: string;
/** Uncaught errors in the page and what its Content-Security-Policy refused: none expected. */
const pageErrors: string[] = [];

async function createJob(data: Record<string, unknown>): Promise<string> {
  const body = { ...loadFixture('sd2e/jobs/tacobot.json'), data };
  const job = await m.request('POST', '/jobs', { key: m.keys.agent, body });
  expect(job.status).toBeLessThan(300);
  tokens.set(job.json.uuid as string, job.json.token as string);
  return job.json.uuid as string;
}

async function send(uuid: string, name: string, data?: Record<string, unknown>) {
  const sent = await m.request('POST', '/messages', {
    key: m.keys.agent,
    body: { uuid, name, token: tokens.get(uuid), ...(data ? { data } : {}) },
  });
  expect(sent.status, `${name} ${sent.text}`).toBe(200);
}

/** The fill of a state's node in the picture the page shows. */
function nodeFill(state: string): Promise<string | null> {
  return page
    .locator('.fsm-picture svg g.node', { has: page.locator(`title:text-is("${state}")`) })
    .locator('path, ellipse, polygon')
    .first()
    .getAttribute('fill', { timeout: 1000 })
    .catch(() => null);
}

/** An expression evaluated in the page (written as text: the tests' types have no DOM). */
const inPage = <T>(expression: string) => page.evaluate(expression) as Promise<T>;

async function screenshot(name: string) {
  mkdirSync(SHOTS, { recursive: true });
  for (const width of [1280, 390]) {
    const file = `${name}-${width}.png`;
    const folder = update || !existsSync(join(SHOTS, file)) ? SHOTS : scratch;
    await page.setViewportSize({ width, height: width > 800 ? 900 : 844 });
    const png = await page.screenshot({ path: join(folder, file), fullPage: true });
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    // At phone width nothing runs off the side but the tables' own scrolling areas.
    const overflow = await inPage<number>('document.documentElement.scrollWidth - window.innerWidth');
    expect(overflow, `${name} at ${width} px is wider than the screen`).toBeLessThanOrEqual(0);
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}

async function noSeriousViolations() {
  const results = await new AxeBuilder({ page }).analyze();
  const serious = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(
    serious.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join('; ')})`),
  ).toEqual([]);
}

async function signIn(key: string) {
  await page.goto(`${m.base}/ui/`);
  await page.getByRole('textbox', { name: 'API key' }).fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Jobs', level: 1 }).waitFor();
}

beforeAll(async () => {
  if (!existsSync(join(distDir, 'index.html'))) {
    throw new Error(`The dashboard is not built (${distDir}): run pnpm build`);
  }
  browser = await launchChromium();
  m = await startManager();
  await m.request('POST', '/pipelines', { body: loadFixture('sd2e/pipelines/tacobot.json') });
  firstJob = await createJob(loadFixture<{ data: Record<string, unknown> }>('sd2e/jobs/tacobot.json').data);
  expect(firstJob).toBe(TACOBOT_JOB);
  await send(firstJob, 'run');
  await send(firstJob, 'update', { progress: { step: 'align', done: 0.4 } });
  for (let i = 1; i <= 5; i++) {
    const uuid = await createJob({ sample: `sample-${i}`, replicate: i });
    if (i % 2 === 0) await send(uuid, 'run');
    if (i === 4) await send(uuid, 'fail', { reason: 'out of memory' });
  }
  page = await openPage(
    browser,
    {
      viewport: { width: 1280, height: 900 },
      locale: 'en-GB',
      timezoneId: 'UTC',
      reducedMotion: 'reduce',
    },
    pageErrors,
  );
});

afterAll(async () => {
  await browser?.close();
  await m?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

describe('the dashboard at /ui', () => {
  it('is served without a credential: a strict CSP, hashed assets cached for a year, the page never, deep links get the page', async () => {
    const index = await fetch(`${m.base}/ui/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toMatch(/^text\/html/);
    expect(index.headers.get('cache-control')).toBe('no-store');
    expect(index.headers.get('content-security-policy')).toMatch(/^default-src 'self';/);
    const html = await index.text();
    // Every script and style from the Manager itself; none inline.
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1] ?? '');
    expect(assets.filter((a) => a.startsWith('/ui/assets/')).length).toBeGreaterThanOrEqual(2);
    expect(assets.filter((a) => /^(https?:)?\/\//.test(a))).toEqual([]);
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    const script = assets.find((a) => a.endsWith('.js'))!;
    const asset = await fetch(`${m.base}${script}`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(asset.headers.get('content-type')).toMatch(/javascript/);
    const deep = await fetch(`${m.base}/ui/jobs/${firstJob}`);
    expect(deep.status).toBe(200);
    expect(await deep.text()).toBe(html);
    expect((await fetch(`${m.base}/ui`)).status).toBe(200);
    // A missing asset is not answered with the page.
    expect((await fetch(`${m.base}/ui/assets/gone-00000000.js`)).status).toBe(404);
  });

  it('answers a 503 problem saying to run pnpm build when the dashboard is not built', async () => {
    const empty = join(scratch, 'not-built');
    mkdirSync(empty, { recursive: true });
    const app = createApp({
      services: createTestServices(undefined as never, { secret: TEST_SECRET }),
      logger: createLogger('silent'),
      metrics: createMetrics(),
      rateLimitPerMinute: 1000,
      dashboardDir: empty,
    });
    const server = await listen(app, 0, '127.0.0.1');
    try {
      const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/ui/`);
      expect(res.status).toBe(503);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(((await res.json()) as { detail: string }).detail).toContain('pnpm build');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('GET /jobs/counts: jobs per state and in all under the filters, a 400 saying what was wrong', async () => {
    const all = await m.request('GET', '/jobs/counts', { key: m.keys.reader });
    expect(all.status).toBe(200);
    expect(all.json).toMatchObject({ total: 6, states: { CREATED: 3, RUNNING: 2, FAILED: 1, FINISHED: 0 } });
    const other = await m.request('GET', '/jobs/counts?pipeline_uuid=10650844-1baa-55c5-a481-5e945b19c066', {
      key: m.keys.reader,
    });
    expect(other.json).toMatchObject({ total: 0, states: { CREATED: 0 } });
    const later = await m.request('GET', '/jobs/counts?updated_since=2999-01-01', { key: m.keys.reader });
    expect(later.json).toMatchObject({ total: 0 });
    const bad = await m.request('GET', '/jobs/counts?updated_since=yesterday', { key: m.keys.reader });
    expect(bad.status).toBe(400);
    expect(bad.json.detail).toContain('updated_since');
    const state = await m.request('GET', '/jobs/counts?state=RUNNING', { key: m.keys.reader });
    expect(state.status).toBe(400);
    expect(state.json.detail).toContain("'state'");
    expect((await m.request('GET', '/jobs/counts', { key: null })).status).toBe(401);
  });

  it('signs in with an API key kept in sessionStorage only, and shows the counts per state', async () => {
    await page.goto(`${m.base}/ui/`);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await page.getByRole('textbox', { name: 'API key' }).fill('pjm_not-a-key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').waitFor();
    await signIn(m.keys.reader);
    const stored = await inPage<{ session: string; local: number }>(
      "({ session: Object.values(sessionStorage).join(' '), local: localStorage.length })",
    );
    expect(stored.session).toContain(m.keys.reader);
    expect(stored.local).toBe(0);
    const counts = page.getByRole('region', { name: 'Jobs per state' });
    await expect.poll(() => counts.getByRole('link', { name: /all$/ }).textContent()).toMatch(/^6\s*all/);
    await expect.poll(() => counts.locator('[data-state="RUNNING"]').textContent()).toBe('2');
    await expect.poll(() => counts.locator('[data-state="CREATED"]').textContent()).toBe('3');
    await expect.poll(() => counts.locator('[data-state="FAILED"]').textContent()).toBe('1');
    // Admin-only pages are not offered to a reader.
    expect(await page.getByRole('link', { name: 'Subscriptions' }).count()).toBe(0);
  });

  it('filters the list by state, newest update first, and opens a job from it', async () => {
    await page.getByRole('link', { name: 'Jobs', exact: true }).click();
    await page.locator('table.jobs tbody tr').first().waitFor();
    expect(await page.locator('table.jobs tbody tr').count()).toBe(6);
    await page.getByLabel('State', { exact: true }).selectOption('RUNNING');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await expect.poll(() => page.locator('table.jobs tbody tr').count()).toBe(2);
    expect(new URL(page.url()).searchParams.get('state')).toBe('RUNNING');
    const states = await page.locator('table.jobs tbody td .state').allTextContents();
    expect(states).toEqual(['RUNNING', 'RUNNING']);
    const updated = await page
      .locator('table.jobs tbody td:nth-child(4) time')
      .evaluateAll((times) => times.map((t) => t.getAttribute('datetime') ?? ''));
    expect([...updated].sort().reverse()).toEqual(updated);
    // The overdue control is sent as the API's `overdue` parameter.
    const asked = page.waitForRequest((request) => request.url().includes('/jobs?'));
    await page.getByLabel('Overdue only').check();
    await page.getByRole('button', { name: 'Apply filters' }).click();
    expect(new URL((await asked).url()).searchParams.get('overdue')).toBe('true');
    await page.getByRole('link', { name: 'Clear' }).click();
    await expect.poll(() => page.locator('table.jobs tbody tr').count()).toBe(6);
    await page.getByRole('link', { name: firstJob }).click();
    await page.getByRole('heading', { name: `Job ${firstJob}` }).waitFor();
    expect(new URL(page.url()).pathname).toBe(`/ui/jobs/${firstJob}`);
  });

  it('finds a job by uuid', async () => {
    await page.goto(`${m.base}/ui/`);
    await page.getByLabel('Job uuid').fill(firstJob.toUpperCase());
    await page.getByRole('button', { name: 'Open job' }).click();
    await page.getByRole('heading', { name: `Job ${firstJob}` }).waitFor();
  });

  it("shows a job's details, data, history and picture, and a new event within 2 s of being sent, with the picture on its new state", async () => {
    const streamed = page.waitForRequest((request) =>
      request.url().includes(`/jobs/${firstJob}/events/stream`),
    );
    await page.goto(`${m.base}/ui/jobs/${firstJob}`);
    // Live updates come over the event stream, with the API key in the Authorization header.
    expect((await streamed).headers().authorization).toBe(`Bearer ${m.keys.reader}`);
    const timeline = page.locator('ol.timeline > li');
    await expect.poll(() => timeline.count()).toBe(3);
    expect(await page.locator('.details').first().textContent()).toContain('RUNNING');
    expect(await page.locator('details.json pre').first().textContent()).toContain('"param1": "value1"');
    expect(await timeline.nth(2).textContent()).toContain('update');
    expect(await timeline.nth(2).locator('.who').textContent()).toBe(`api_key ${m.keyIds.agent}`);
    await expect.poll(() => nodeFill('RUNNING')).toBe('#ffd54f');
    await page.getByText('Live: new events appear here').waitFor();

    const sent = Date.now();
    await send(firstJob, 'finish', { outputs: 3 });
    await page.locator('ol.timeline > li[data-seq="4"]').waitFor({ timeout: 2000 });
    expect(Date.now() - sent).toBeLessThan(2000);
    expect(await timeline.nth(3).textContent()).toContain('finish');
    expect(await timeline.nth(3).textContent()).toContain('FINISHED');
    await expect.poll(() => nodeFill('FINISHED'), { timeout: 5000 }).toBe('#ffd54f');
    expect(await nodeFill('RUNNING')).not.toBe('#ffd54f');
    expect(await page.locator('.fsm-picture').getAttribute('data-state')).toBe('FINISHED');
  });

  it('has no serious or critical accessibility violation on the list and job pages; screenshots at 1280 and 390 px', async () => {
    await page.goto(`${m.base}/ui/jobs/${firstJob}`);
    await expect.poll(() => nodeFill('FINISHED')).toBe('#ffd54f');
    await noSeriousViolations();
    await screenshot('job');
    await page.getByRole('link', { name: 'Jobs', exact: true }).click();
    await page.locator('table.jobs tbody tr').first().waitFor();
    await expect.poll(() => page.locator('.counts [data-state="FINISHED"]').textContent()).toBe('1');
    await noSeriousViolations();
    await screenshot('jobs');
    expect(pageErrors).toEqual([]);
  });

  it('is used from the keyboard: the skip link, the filters and the links take the focus visibly', async () => {
    await page.goto(`${m.base}/ui/`);
    await page.locator('table.jobs tbody tr').first().waitFor();
    await page.keyboard.press('Tab');
    expect(await inPage('document.activeElement?.textContent')).toBe('Skip to content');
    const outline = await inPage('getComputedStyle(document.activeElement).outlineStyle');
    expect(outline).toBe('solid');
    await page.getByLabel('State', { exact: true }).focus();
    await page.keyboard.press('Tab');
    expect(await inPage('document.activeElement?.id')).toBe('filter-pipeline');
  });

  it('opens a job page signed in with a nonce from the address, which leaves the address at once', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(await inPage('sessionStorage.length')).toBe(0);
    const { nonce } = await createNonce(m.services, systemPrincipal('tests'), {
      role: 'reader',
      jobUuid: firstJob as JobUuid,
    });
    await page.goto(`${m.base}/ui/jobs/${firstJob}?x-nonce=${nonce}`);
    await page.getByRole('heading', { name: `Job ${firstJob}` }).waitFor();
    expect(page.url()).not.toContain('x-nonce');
    await expect.poll(() => page.locator('ol.timeline > li').count()).toBe(4);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  });

  it('offers the subscriptions page, with their state and deliveries, to an admin key only', async () => {
    const made = await m.request('POST', '/subscriptions', {
      body: { url: 'https://hooks.example.org/pipelinejobs', description: 'lab notifier' },
    });
    expect(made.status, made.text).toBe(201);
    await signIn(m.keys.admin);
    await page.getByRole('link', { name: 'Subscriptions' }).click();
    await page.getByRole('heading', { name: 'lab notifier' }).waitFor();
    await page.getByText('No delivery yet.').waitFor();
    expect(await page.locator('.subscription .details').textContent()).toContain('enabled');
    await page.getByRole('link', { name: 'Pipelines' }).click();
    await page.getByRole('link', { name: 'Tacobot 9000' }).first().click();
    await expect.poll(() => page.locator('table.jobs tbody tr').count()).toBe(6);
  });

  it('pages the list as the API pages it (keyset, 25 a page), forward and back', async () => {
    for (let i = 6; i <= 30; i++) await createJob({ sample: `sample-${i}` });
    await page.getByRole('link', { name: 'Jobs', exact: true }).click();
    const rows = page.locator('table.jobs tbody tr');
    await expect.poll(() => rows.count()).toBe(25);
    const first = await rows.first().locator('td.uuid').textContent();
    await page.getByRole('button', { name: 'Next page' }).click();
    await expect.poll(() => rows.count()).toBe(6);
    await page.getByText('Page 2: 6 jobs').waitFor();
    expect(await page.getByRole('button', { name: 'Next page' }).isDisabled()).toBe(true);
    await page.getByRole('button', { name: 'Previous page' }).click();
    await expect.poll(() => rows.count()).toBe(25);
    expect(await rows.first().locator('td.uuid').textContent()).toBe(first);
  });
});
