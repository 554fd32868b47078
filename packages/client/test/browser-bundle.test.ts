import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

describe('in a browser', () => {
  it('bundles the client and core for the browser platform, with nothing of Node', async () => {
    const result = await build({
      entryPoints: [fileURLToPath(new URL('../dist/index.js', import.meta.url))],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.some((path) => path.includes('core/dist'))).toBe(true);
    expect(inputs.filter((path) => path.startsWith('node:') || path.includes('ajv'))).toEqual([]);
    const text = result.outputFiles[0]?.text ?? '';
    expect(text).not.toMatch(/from ["']node:|require\(["']node:/);
  });
});
