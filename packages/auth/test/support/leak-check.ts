import { expect } from 'vitest';

/**
 * Collects every refusal and error message a test file produces, and the secret values it used,
 * so the file's last test can check that no message contains a secret, token, key or nonce.
 */
export function leakCheck() {
  const secrets = new Set<string>();
  const messages: string[] = [];

  return {
    /** Registers credential values; for `pjm_`/`pjn_` values the random part is checked too. */
    secret(...values: string[]): void {
      for (const value of values) {
        secrets.add(value);
        if (/^pj[mn]_/.test(value)) secrets.add(value.slice(4, 16));
      }
    },
    /** Records `message` from a result or error, and returns the argument unchanged. */
    record<T>(result: T): T {
      if (typeof result === 'object' && result !== null && 'message' in result) {
        const { message } = result;
        if (typeof message === 'string') messages.push(message);
      }
      return result;
    },
    /** Runs `fn`, records the message it throws, and returns the error. */
    thrown(fn: () => unknown): unknown {
      try {
        fn();
      } catch (error) {
        this.record(error);
        return error;
      }
      throw new Error('expected the call to throw');
    },
    expectClean(minimumMessages: number): void {
      expect(messages.length).toBeGreaterThanOrEqual(minimumMessages);
      for (const message of messages) {
        for (const secret of secrets) expect(message).not.toContain(secret);
      }
    },
  };
}
