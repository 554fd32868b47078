import { request as httpRequest } from 'node:http';
import type { JobUuid } from '@pipelinejobs/core';
import { loadFixture } from '@pipelinejobs/fixtures';
import { createApiKey, createNonce, revokeApiKey, systemPrincipal } from '@pipelinejobs/service';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, openPage } from './browser.js';
import { type Manager, startManager } from './harness.js';

// The dashboard at /ui as a hostile or careless user meets it: markup in every field the Manager
// echoes, odd paths and methods, credentials in the address, a key revoked mid-session, a
// dropped event stream. Real Chromium against a real Manager on a real database.

let m: Manager;
let browser: Browser;
let page: Page;
const tokens = new Map<string, string>();
/** Uncaught errors in the page and what its Content-Security-Policy refused. */
const pageErrors: string[] = [];

const XSS = `<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script><svg onload="window.__pwned=3"></svg>`;

async function createJob(data: Record<string, unknown>): Promise<string> {
  const body = { ...loadFixture('sd2e/jobs/tacobot.json'), data };
  const job = await m.request('POST', '/jobs', { key: m.keys.agent, body });
  expect(job.status, job.text).toBeLessThan(300);
  tokens.set(job.json.uuid as string, job.json.token as string);
  return job.json.uuid as string;
}

async function send(uuid: string, name: string, data?: Record<string, unknown>) {
  const post = () =>
    m.request('POST', '/messages', {
      key: m.keys.agent,
      body: { uuid, name, token: tokens.get(uuid), ...(data ? { data } : {}) },
    });
  // Once more on a socket the server closed (the stream test cuts every connection).
  const sent = await post().catch(post);
  expect(sent.status, `${name} ${sent.text}`).toBe(200);
}

const inPage = <T>(expression: string) => page.evaluate(expression) as Promise<T>;

async function signIn(key: string) {
  await page.goto(`${m.base}/ui/`);
  await inPage('sessionStorage.clear()');
  await page.reload();
  await page.getByRole('textbox', { name: 'API key' }).fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Jobs', level: 1 }).waitFor();
}

/** A request with the path exactly as written (fetch would normalise `..`). */
function raw(
  method: string,
  path: string,
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  const url = new URL(m.base);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, method, path }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  browser = await launchChromium();
  m = await startManager();
  const pipeline = { ...loadFixture<Record<string, unknown>>('sd2e/pipelines/tacobot.json'), name: XSS };
  const made = await m.request('POST', '/pipelines', { body: pipeline });
  expect(made.status, made.text).toBeLessThan(300);
  page = await openPage(browser, { viewport: { width: 1280, height: 900 }, timezoneId: 'UTC' }, pageErrors);
});

afterAll(async () => {
  await browser?.close();
  await m?.stop();
});

describe('the dashboard against hostile input', () => {
  it('shows markup in a pipeline name, job data, event data and a subscription as text: nothing runs, no element is made', async () => {
    const uuid = await createJob({ note: XSS, [XSS]: 'key', link: 'javascript:window.__pwned=4' });
    await send(uuid, 'run', { message: XSS, url: 'javascript:window.__pwned=5' });
    await send(uuid, 'update', { note: `</code></pre>${XSS}` });
    const sub = await m.request('POST', '/subscriptions', {
      body: { url: 'https://hooks.example.org/<script>x</script>', description: XSS },
    });
    expect(sub.status, sub.text).toBe(201);
    await signIn(m.keys.admin);
    await page.locator('table.jobs tbody tr').first().waitFor();
    await page.getByRole('link', { name: XSS }).first().waitFor();
    await page.goto(`${m.base}/ui/jobs/${uuid}`);
    await page.locator('ol.timeline > li[data-seq="2"]').waitFor();
    for (const details of await page.locator('details').all())
      await details.evaluate((d) => d.setAttribute('open', ''));
    await page.getByRole('link', { name: 'Pipelines' }).click();
    await page.getByRole('link', { name: XSS }).first().waitFor();
    await page.getByRole('link', { name: 'Subscriptions' }).click();
    await page.getByRole('heading', { name: XSS }).waitFor();
    expect(await inPage('window.__pwned')).toBeUndefined();
    expect(await page.locator('main img, main script, main svg[onload]').count()).toBe(0);
    expect(pageErrors).toEqual([]);
  });

  it('shows a "not found" page for an address with a malformed %-escape, not a blank page', async () => {
    await page.goto(`${m.base}/ui/jobs/%E0%A4%A`);
    await page.getByRole('heading', { level: 1 }).waitFor({ timeout: 3000 });
    expect(await page.locator('main').textContent()).toMatch(/not found|not a job/i);
    const errors = pageErrors.splice(0);
    expect(errors).toEqual([]);
  });

  it('never serves a file outside the build, whatever the path; other methods are refused; a missing asset is not cached', async () => {
    for (const path of [
      '/ui/../package.json',
      '/ui/%2e%2e/package.json',
      '/ui/%2e%2e/%2e%2e/package.json',
      '/ui/assets/../../package.json',
      '/ui/assets/%2e%2e/%2e%2e/package.json',
      '/ui/assets/%2e%2e%2f%2e%2e%2fpackage.json',
      '/ui/..%5c..%5cpackage.json',
      '/ui/%00',
      '/ui/assets%00.js',
      '/ui/assets',
      `/ui/${'a/'.repeat(3000)}`,
    ]) {
      const res = await raw('GET', path);
      expect(res.status, path).toBeLessThan(500);
      expect(res.body, path).not.toContain('"@pipelinejobs/');
      expect(res.body, path).not.toContain('"devDependencies"');
    }
    const gone = await raw('GET', '/ui/assets/gone-00000000.js');
    expect(gone.status).toBe(404);
    expect(String(gone.headers['cache-control'] ?? '')).not.toMatch(/immutable|max-age=[1-9]/);
    expect(gone.headers['content-type']).not.toMatch(/html/);
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      const res = await raw(method, '/ui/');
      expect(res.status, method).toBeGreaterThanOrEqual(400);
      expect(res.status, method).toBeLessThan(500);
    }
    const index = await raw('GET', '/ui/');
    expect(index.headers['x-content-type-options']).toBe('nosniff');
    expect(String(index.headers['content-security-policy'])).toContain("frame-ancestors 'none'");
    expect(index.headers['referrer-policy']).toBe('no-referrer');
  });

  it('signs in with a nonce from the address: it is not logged, not in the address, not in localStorage, nor sent as a Referer', async () => {
    const uuid = await createJob({ sample: 'nonce' });
    const { nonce } = await createNonce(m.services, systemPrincipal('tests'), {
      role: 'reader',
      jobUuid: uuid as JobUuid,
    });
    const referers: string[] = [];
    page.on('request', (r) => {
      const referer = r.headers().referer;
      if (referer) referers.push(referer);
    });
    await page.goto(`${m.base}/ui/jobs/${uuid}?x-nonce=${nonce}`);
    await page.getByRole('heading', { name: `Job ${uuid}` }).waitFor();
    await page.locator('ol.timeline > li').first().waitFor();
    expect(page.url()).not.toContain(nonce);
    expect(await inPage('localStorage.length')).toBe(0);
    expect(referers.filter((r) => r.includes(nonce))).toEqual([]);
    expect(m.logLines.filter((line) => line.includes(nonce))).toEqual([]);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(await inPage('sessionStorage.length')).toBe(0);
  });

  it('GET /jobs/counts with a nonce scoped to one job does not count every job', async () => {
    const uuid = await createJob({ sample: 'scoped' });
    const { nonce } = await createNonce(m.services, systemPrincipal('tests'), {
      role: 'reader',
      jobUuid: uuid as JobUuid,
    });
    const res = await m.request('GET', `/jobs/counts?x-nonce=${nonce}`, { key: null });
    if (res.status === 200) expect(res.json.total).toBeLessThanOrEqual(1);
    else expect(res.status).toBe(403);
    const list = await m.request('GET', `/jobs?x-nonce=${nonce}`, { key: null });
    expect(list.status, 'the list and the counts agree').toBe(res.status);
  });

  it('GET /jobs/counts: every role reads it; a bad or repeated filter is a 400 naming it', async () => {
    for (const role of ['admin', 'agent', 'reporter', 'reader'] as const) {
      const res = await m.request('GET', '/jobs/counts', { key: m.keys[role] });
      expect(res.status, role).toBe(200);
    }
    for (const [query, name] of [
      ['overdue=maybe', 'overdue'],
      ['pipeline_uuid=not-a-uuid', 'pipeline_uuid'],
      ['updated_since=2026-13-45', 'updated_since'],
      [
        'pipeline_uuid=10650844-1baa-55c5-a481-5e945b19c065&pipeline_uuid=10650844-1baa-55c5-a481-5e945b19c066',
        'pipeline_uuid',
      ],
      ['limit=5', 'limit'],
    ]) {
      const res = await m.request('GET', `/jobs/counts?${query}`, { key: m.keys.reader });
      expect(res.status, query).toBe(400);
      expect(String(res.json.detail), query).toContain(name);
    }
  });

  it('a key revoked mid-session sends the user back to sign in (once, no loop)', async () => {
    const made = await createApiKey(m.services, systemPrincipal('tests'), {
      role: 'reader',
      label: 'revoked soon',
    });
    await signIn(made.key);
    // The jobs page's own first requests answered first: one still in flight when the key is
    // revoked is refused, and the page signs out before the click (CI's loaded run: the link was
    // gone when the test clicked it).
    await page.waitForLoadState('networkidle');
    await revokeApiKey(m.services, systemPrincipal('tests'), made.record.id);
    const requests: string[] = [];
    const seen = (r: { url(): string }) => requests.push(r.url());
    page.on('request', seen);
    await page.getByRole('link', { name: 'Pipelines' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor({ timeout: 5000 });
    expect(await page.getByRole('alert').textContent()).toContain('sign in again');
    expect(await inPage('sessionStorage.length')).toBe(0);
    // Signed out once: nothing more is asked with the refused key.
    const before = requests.length;
    await page.waitForLoadState('networkidle');
    expect(requests.slice(before)).toEqual([]);
    page.off('request', seen);
  });
});

describe('the live job page', () => {
  it('resumes after the event stream is cut: events sent meanwhile and after appear, each once; another job’s do not', async () => {
    await signIn(m.keys.reader);
    const uuid = await createJob({ sample: 'live' });
    const other = await createJob({ sample: 'other' });
    const stream = (r: { url(): string }) => r.url().includes(`/jobs/${uuid}/events/stream`);
    const opened = page.waitForResponse(stream);
    await page.goto(`${m.base}/ui/jobs/${uuid}`);
    await page.locator('ol.timeline > li[data-seq="1"]').waitFor();
    // Cut once the stream is open (its answer's head came).
    await opened;
    const reconnected = page.waitForRequest(stream);
    m.server.closeAllConnections();
    await send(uuid, 'run');
    await send(other, 'run');
    await reconnected;
    await send(uuid, 'update', { n: 1 });
    await page.locator('ol.timeline > li[data-seq="3"]').waitFor();
    await send(other, 'update', { n: 2 });
    await send(uuid, 'update', { n: 3 });
    await page.locator('ol.timeline > li[data-seq="4"]').waitFor();
    const seqs = await page
      .locator('ol.timeline > li')
      .evaluateAll((items) => items.map((i) => i.getAttribute('data-seq')));
    expect(seqs).toEqual(['1', '2', '3', '4']);
  });

  it('reads the job document twice, not once per event, when 40 events come while a read is slow', async () => {
    await signIn(m.keys.reader);
    const uuid = await createJob({ sample: 'burst' });
    await send(uuid, 'run');
    await page.goto(`${m.base}/ui/jobs/${uuid}`);
    await page.getByText('Live: new events appear here').waitFor();
    await page.locator('ol.timeline > li[data-seq="2"]').waitFor();
    const gets: string[] = [];
    const seen = (r: { url(): string; method(): string }) => {
      if (r.method() === 'GET' && new URL(r.url()).pathname === `/jobs/${uuid}`) gets.push(r.url());
    };
    page.on('request', seen);
    // The reads are held until the whole burst is shown, as on a slow link.
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    await page.route(`${m.base}/jobs/${uuid}`, async (route) => {
      await held;
      await route.continue();
    });
    try {
      await Promise.all(Array.from({ length: 40 }, (_, i) => send(uuid, 'update', { i })));
      await page.locator('ol.timeline > li[data-seq="42"]').waitFor();
    } finally {
      release();
    }
    const last = await m.request('GET', `/jobs/${uuid}`, { key: m.keys.reader });
    // The page shows the job as it is after the last event.
    await page.locator(`.details time[datetime="${last.json.updated}"]`).waitFor();
    page.off('request', seen);
    await page.unroute(`${m.base}/jobs/${uuid}`);
    // One read held while the events came, one more after it for them.
    expect(gets.length).toBeLessThanOrEqual(2);
    expect(await page.locator('.details').first().textContent()).toContain('RUNNING');
  });

  it('says so when the job is deleted while it is watched', async () => {
    await signIn(m.keys.reader);
    const uuid = await createJob({ sample: 'deleted' });
    await page.goto(`${m.base}/ui/jobs/${uuid}`);
    await page.getByText('Live: new events appear here').waitFor();
    const deleted = await m.request('DELETE', `/jobs/${uuid}?force=true&token=${m.adminToken()}`);
    expect(deleted.status, deleted.text).toBeLessThan(300);
    await page.getByText('This job was deleted').waitFor();
    expect(await page.getByText('Live: new events appear here').count()).toBe(0);
  });
});

describe('the dashboard from the keyboard and a screen reader', () => {
  it('puts the focus on the new page after a link is followed, not on the body', async () => {
    const uuid = await createJob({ sample: 'focus' });
    await signIn(m.keys.reader);
    // New filters on the same list keep the focus on the form.
    await page.getByRole('link', { name: uuid }).waitFor();
    await page.getByRole('region', { name: 'Jobs per state' }).waitFor();
    await page.getByLabel('State', { exact: true }).selectOption('CREATED');
    await page.getByRole('button', { name: 'Apply filters' }).focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => new URL(page.url()).searchParams.get('state')).toBe('CREATED');
    expect(await inPage('document.activeElement?.textContent')).toBe('Apply filters');
    const link = page.getByRole('link', { name: uuid });
    await link.focus();
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: `Job ${uuid}` }).waitFor();
    expect(await inPage('document.activeElement?.id')).toBe('main');
    // The next Tab goes on inside the page, not from the top of the document.
    await page.keyboard.press('Tab');
    expect(await inPage('document.activeElement?.closest("main") !== null')).toBe(true);
  });
});

describe('the jobs list filters', () => {
  it('keep what the user chose when the counts arrive afterwards, until Apply', async () => {
    await createJob({ sample: 'filters' });
    await signIn(m.keys.reader);
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    await page.route('**/jobs/counts*', async (route) => {
      await held;
      await route.continue();
    });
    try {
      await page.goto(`${m.base}/ui/`);
      await page.locator('table.jobs tbody tr').first().waitFor();
      await page.getByLabel('State', { exact: true }).selectOption('FAILED');
      await page.getByLabel('Overdue only').check();
      release();
      await page.getByRole('region', { name: 'Jobs per state' }).waitFor();
      expect(await page.getByLabel('State', { exact: true }).inputValue()).toBe('FAILED');
      expect(await page.getByLabel('Overdue only').isChecked()).toBe(true);
    } finally {
      release();
      await page.unroute('**/jobs/counts*');
    }
    // A deep link's pipeline stays chosen once the pipelines' names arrive.
    const pipelines = await m.request('GET', '/pipelines', { key: m.keys.reader });
    const pipeline = (pipelines.json.items as { uuid: string }[])[0]?.uuid ?? '';
    await page.goto(`${m.base}/ui/?pipeline=${pipeline}`);
    await page.getByRole('option', { name: XSS }).waitFor({ state: 'attached' });
    expect(await page.getByLabel('Pipeline', { exact: true }).inputValue()).toBe(pipeline);
    await page.getByLabel('State', { exact: true }).selectOption('FAILED');
    // Clear puts them back.
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await expect.poll(() => new URL(page.url()).searchParams.get('state')).toBe('FAILED');
    await page.getByRole('link', { name: 'Clear' }).click();
    await expect.poll(() => page.getByLabel('State', { exact: true }).inputValue()).toBe('');
    expect(await page.getByLabel('Overdue only').isChecked()).toBe(false);
  });
});

describe('the dashboard on a phone (390 px)', () => {
  it('shows the jobs list without sideways scrolling, each job with its whole uuid', async () => {
    const uuid = await createJob({ sample: 'phone' });
    await signIn(m.keys.reader);
    await page.setViewportSize({ width: 390, height: 844 });
    try {
      await page.getByRole('link', { name: uuid }).waitFor();
      const wrap = page.locator('.table-wrap').first();
      expect(await wrap.evaluate((e) => e.scrollWidth - e.clientWidth)).toBeLessThanOrEqual(0);
      const link = page.getByRole('link', { name: uuid });
      expect(await link.evaluate((e) => e.scrollWidth - e.clientWidth)).toBeLessThanOrEqual(0);
      expect(
        await page.locator('table.jobs tbody tr').first().locator('td:nth-child(4) time').isVisible(),
      ).toBe(true);
    } finally {
      await page.setViewportSize({ width: 1280, height: 900 });
    }
  });
});
