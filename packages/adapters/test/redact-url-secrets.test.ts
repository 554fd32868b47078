import { describe, expect, it } from 'vitest';
import { REDACTED, redactUrlSecrets } from '../src/index.js';

describe('redactUrlSecrets', () => {
  it('redacts token and x-nonce values in a delivery URL and keeps the rest', () => {
    expect(
      redactUrlSecrets(
        'https://h/messages?uuid=107b93f3&token=0dc73dc3ff39b49a&x-nonce=SD2E_abc&status=RUNNING',
      ),
    ).toBe(`https://h/messages?uuid=107b93f3&token=${REDACTED}&x-nonce=${REDACTED}&status=RUNNING`);
  });

  it('redacts a token inside a percent-encoded URL', () => {
    const out = redactUrlSecrets(
      'cb=https%3A%2F%2Fh%2Fm%3Fuuid%3D107%26token%3D0dc73dc3ff39b49a%26status%3DRUNNING',
    );
    expect(out).not.toContain('0dc73dc3ff39b49a');
    expect(out).toContain('%26status%3DRUNNING');
  });

  it('is case-insensitive on the parameter name and idempotent', () => {
    const once = redactUrlSecrets('see ?TOKEN=abc and x-nonce=def');
    expect(once).toBe(`see ?TOKEN=${REDACTED} and x-nonce=${REDACTED}`);
    expect(redactUrlSecrets(once)).toBe(once);
  });

  it('leaves parameters that only end in token alone', () => {
    expect(redactUrlSecrets('?access_token_hint=1&mytoken=2')).toBe('?access_token_hint=1&mytoken=2');
  });
});
