import { describe, expect, it } from 'vitest';
import { refusedHost, targetUrlInput } from './webhook-target.js';

describe('the target policy', () => {
  it.each([
    '127.0.0.1',
    '127.8.9.10',
    '10.0.0.1',
    '172.16.5.4',
    '172.31.255.255',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '[::1]',
    '[::]',
    '[fd00::1]',
    '[fe80::1]',
    '[::ffff:127.0.0.1]',
    'localhost',
    'api.localhost',
  ])('refuses %s unless private targets are allowed', (host) => {
    expect(refusedHost(host, false)).toMatch(/PIPELINEJOBS_WEBHOOK_ALLOW_PRIVATE/);
    expect(refusedHost(host, true)).toBeUndefined();
  });

  it.each(['8.8.8.8', '172.32.0.1', '192.169.0.1', 'hooks.example.org', '[2001:db8::1]'])(
    'allows %s',
    (host) => {
      expect(refusedHost(host, false)).toBeUndefined();
    },
  );

  it('takes http(s) URLs only, without credentials', () => {
    expect(targetUrlInput('https://hooks.example.org/a?b=1', false)).toBe('https://hooks.example.org/a?b=1');
    expect(() => targetUrlInput('ftp://example.org/', false)).toThrow(/http or https/);
    expect(() => targetUrlInput('https://u:p@example.org/', false)).toThrow(/password/);
    expect(() => targetUrlInput('example.org/x', false)).toThrow(/not a URL/);
  });
});
