import { describe, expect, it } from 'vitest';
import {
  generateApiKey,
  generateNonce,
  REDACT_PATHS,
  REDACTED,
  redactSecrets,
  redactUrl,
} from '../src/index.js';

describe('redactSecrets', () => {
  it('redacts token and x-nonce values in a callback URL and keeps the rest', () => {
    const url = '/actors/v2/abc/messages?uuid=107abc&event=run&token=0123456789abcdef&x-nonce=SD2E_xyz789';
    expect(redactSecrets(url)).toBe(
      `/actors/v2/abc/messages?uuid=107abc&event=run&token=${REDACTED}&x-nonce=${REDACTED}`,
    );
  });

  it('redacts access_token parameters', () => {
    expect(redactSecrets('https://h/x?access_token=abc.def.ghi#frag')).toBe(
      `https://h/x?access_token=${REDACTED}#frag`,
    );
  });

  it('redacts a token inside a percent-encoded URL parameter', () => {
    const text = 'callback=https%3A%2F%2Fh%2Fm%3Fuuid%3D107%26token%3D0123456789abcdef%26status%3DRUNNING';
    const out = redactSecrets(text);
    expect(out).not.toContain('0123456789abcdef');
    expect(out).toContain('%26status%3DRUNNING');
  });

  it('redacts Bearer credentials', () => {
    expect(redactSecrets('Authorization: Bearer eyJhbGciOi.eyJzdWIi.c2ln')).toBe(
      `Authorization: Bearer ${REDACTED}`,
    );
  });

  it('redacts API keys and nonces wherever they appear', () => {
    const { key } = generateApiKey();
    const { nonce } = generateNonce();
    const out = redactSecrets(`created ${key} and "${nonce}" for http://h/?n=${nonce}`);
    expect(out).not.toContain(key);
    expect(out).not.toContain(nonce);
    expect(out).toBe(`created ${REDACTED} and "${REDACTED}" for http://h/?n=${REDACTED}`);
  });

  it('redacts token fields in JSON text', () => {
    const body = JSON.stringify({ uuid: '107abc', name: 'run', token: '0123456789abcdef', data: { n: 1 } });
    expect(JSON.parse(redactSecrets(body))).toEqual({
      uuid: '107abc',
      name: 'run',
      token: REDACTED,
      data: { n: 1 },
    });
  });

  it('redacts the password in a database URL', () => {
    expect(redactSecrets('postgres://pj:hunter2@db:5432/pj')).toBe(`postgres://pj:${REDACTED}@db:5432/pj`);
  });

  it('leaves text without credentials alone and is idempotent', () => {
    const plain = 'job 107abc moved RUNNING -> FINISHED (tokenVersion=2, event=finish)';
    expect(redactSecrets(plain)).toBe(plain);
    const once = redactSecrets('a?token=abc&x-nonce=pjn_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA Bearer xyz');
    expect(redactSecrets(once)).toBe(once);
  });
});

describe('REDACT_PATHS', () => {
  it('covers the authorization header, token and x-nonce for pino', () => {
    expect(REDACT_PATHS).toEqual(
      expect.arrayContaining([
        'req.headers.authorization',
        '*.token',
        'req.query["x-nonce"]',
        'req.body.token',
      ]),
    );
  });
});

describe('redactUrl', () => {
  const token = '0123456789abcdef';
  it.each([
    [`/messages?uuid=107&token=${token}`, '/messages?uuid=107&token=[REDACTED]'],
    [`/messages?t%6Fken=${token}&event=run`, '/messages?t%6Fken=[REDACTED]&event=run'],
    [`/messages?TOKEN=${token}`, '/messages?TOKEN=[REDACTED]'],
    [`/messages?token%5B%5D=${token}`, '/messages?token%5B%5D=[REDACTED]'],
    [`/messages?x%2Dnonce=${token}`, '/messages?x%2Dnonce=[REDACTED]'],
    [`/messages?+token=${token}`, '/messages?+token=[REDACTED]'],
    [
      `/jobs?cb=${encodeURIComponent(`https://x.org/?token=${token}`)}`,
      '/jobs?cb=https%3A%2F%2Fx.org%2F%3Ftoken%3D[REDACTED]',
    ],
  ])('%s', (url, expected) => {
    expect(redactUrl(url)).toBe(expected);
    expect(redactUrl(url)).not.toContain(token);
  });

  it('keeps other parameters and malformed escapes as they are', () => {
    expect(redactUrl('/jobs?state=RUNNING&q=%E0%A4%A')).toBe('/jobs?state=RUNNING&q=%E0%A4%A');
    expect(redactUrl('/healthz')).toBe('/healthz');
  });
});
