import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createTestServices, TEST_SECRET } from '@pipelinejobs/service/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/app.js';
import { createLogger } from '../src/logging.js';
import { createMetrics } from '../src/metrics.js';
import { listen } from '../src/server.js';

// The real tools, from their own workspace (tools/openapi-lint), run on the document the
// Manager serves.
const TOOLS = fileURLToPath(new URL('../../../tools/openapi-lint/', import.meta.url));
const bin = (name: string) => join(TOOLS, 'node_modules', '.bin', name);
const run = promisify(execFile);

const dir = mkdtempSync(join(tmpdir(), 'pj-openapi-tools-'));
const document = join(dir, 'openapi.json');
let close: () => Promise<void>;

beforeAll(async () => {
  // Built and listened on, but no use case runs: the document needs no database.
  const app = createApp({
    services: createTestServices(undefined as never, { secret: TEST_SECRET }),
    logger: createLogger('silent'),
    metrics: createMetrics(),
    rateLimitPerMinute: 1000,
  });
  const server = await listen(app, 0, '127.0.0.1');
  const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/openapi.json`);
  expect(res.status).toBe(200);
  writeFileSync(document, await res.text());
  close = () => new Promise((resolve) => server.close(() => resolve()));
});
afterAll(async () => {
  await close?.();
  rmSync(dir, { recursive: true, force: true });
});

describe('the served OpenAPI document, read by the tools', () => {
  it('passes Redocly lint (recommended rules) with no error and no warning', async () => {
    const { stdout } = await run(
      bin('redocly'),
      ['lint', '--config', join(TOOLS, 'redocly.yaml'), '--format=json', document],
      { env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' } },
    );
    const report = JSON.parse(stdout) as { totals: { errors: number; warnings: number } };
    expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
  });

  it('passes Spectral lint (spectral:oas) with no error and no warning', async () => {
    const out = join(dir, 'spectral.json');
    await run(bin('spectral'), [
      'lint',
      '-r',
      join(TOOLS, '.spectral.yaml'),
      '-f',
      'json',
      '-o',
      out,
      document,
    ]);
    const results = JSON.parse(readFileSync(out, 'utf8')) as { code: string; severity: number }[];
    expect(results.filter((result) => result.severity <= 1)).toEqual([]);
  });

  it('gives openapi-typescript the types of every operation', async () => {
    const out = join(dir, 'openapi.d.ts');
    await run(bin('openapi-typescript'), [document, '-o', out]);
    const types = readFileSync(out, 'utf8');
    expect(types).toContain('export interface paths');
    expect(types).toMatch(/"\/jobs\/\{uuid\}\/history"/);
    expect(types).toMatch(/JobUuid: string/);
  });
});
