import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fsmToMermaid } from '../src/fsm-export.js';

describe('the README', () => {
  it('shows the state machine exactly as the table in core draws it', () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    const block = /```mermaid\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toBe(fsmToMermaid());
  });
});
