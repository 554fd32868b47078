import { describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';

/** Each command with options that its --help must list (global options are listed everywhere). */
const COMMANDS: [string[], string[]][] = [
  [['migrate'], []],
  [['pipelines', 'add'], []],
  [['pipelines', 'list'], []],
  [['pipelines', 'show'], []],
  [['jobs', 'create'], []],
  [
    ['jobs', 'list'],
    ['--state', '--pipeline', '--since', '--limit', '--cursor', '--all'],
  ],
  [['jobs', 'show'], []],
  [
    ['jobs', 'history'],
    ['--after', '--limit', '--all'],
  ],
  [
    ['jobs', 'delete'],
    ['--force', '--token'],
  ],
  [['jobs', 'rotate-token'], ['--token']],
  [['jobs', 'dry-run'], []],
  [['send'], ['--data', '--token', '--idempotency-key']],
  [['admin-token'], []],
  [
    ['keys', 'create'],
    ['--role', '--label'],
  ],
  [['keys', 'list'], []],
  [['keys', 'revoke'], []],
  [
    ['nonces', 'create'],
    ['--role', '--max-uses', '--expires-in', '--job', '--label'],
  ],
  [['nonces', 'list'], []],
  [['nonces', 'revoke'], []],
  [['fsm'], ['--format']],
];

describe.concurrent('--help', () => {
  it('lists every command and the exit codes', async () => {
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    for (const command of ['migrate', 'pipelines', 'jobs', 'send', 'admin-token', 'keys', 'nonces', 'fsm']) {
      expect(help.stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
    }
    expect(help.stdout).toContain('Exit codes:');
    for (const code of [0, 1, 2, 3, 4, 5, 6, 7])
      expect(help.stdout).toMatch(new RegExp(`^  ${code}  \\w`, 'm'));
    expect(help.stdout).toContain('PIPELINEJOBS_SECRET');
  });

  it('lists the subcommands of each group', async () => {
    for (const [group, subcommands] of [
      ['pipelines', ['add', 'list', 'show']],
      ['jobs', ['create', 'list', 'show', 'history', 'delete', 'rotate-token', 'dry-run']],
      ['keys', ['create', 'list', 'revoke']],
      ['nonces', ['create', 'list', 'revoke']],
    ] as const) {
      const help = await runCli([group, '--help']);
      expect(help.code).toBe(0);
      for (const sub of subcommands) expect(help.stdout).toMatch(new RegExp(`^  ${sub}\\b`, 'm'));
    }
  });

  it.each(COMMANDS)('%j --help lists its options with descriptions', async (command, options) => {
    const help = await runCli([...command, '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain(`Usage: pipelinejobs ${command.join(' ')}`);
    for (const option of [...options, '--json', '--database-url', '--no-color', '--help']) {
      // The option, then at least two spaces, then its description on the same line.
      expect(help.stdout).toMatch(new RegExp(`^\\s+(-\\w, )?${option}\\b[^\\n]*\\s{2,}\\S`, 'm'));
    }
  });

  it('answers a usage error with exit 2 and one line', async () => {
    const unknown = await runCli(['jobs', 'list', '--bogus']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^error: unknown option '--bogus'[^\n]*\n$/);
    const badLimit = await runCli(['jobs', 'list', '--limit', 'many']);
    expect(badLimit.code).toBe(2);
    const badDuration = await runCli(['nonces', 'create', '--expires-in', '3 fortnights']);
    expect(badDuration.code).toBe(2);
  });
});

describe.concurrent('configuration', () => {
  it('stops with exit 2 and one line naming PIPELINEJOBS_SECRET when DATABASE_URL has no secret', async () => {
    const result = await runCli(['jobs', 'list'], {
      env: { DATABASE_URL: 'postgres://postgres@127.0.0.1:9/none', PIPELINEJOBS_SECRET: undefined },
    });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^error: PIPELINEJOBS_SECRET: [^\n]+\n$/);
  });

  it('takes --database-url over DATABASE_URL, and says which database is unavailable (exit 7)', async () => {
    const result = await runCli(
      ['jobs', 'list', '--database-url', 'postgres://user:hunter22@127.0.0.1:9/nowhere'],
      {
        env: { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/elsewhere' },
      },
    );
    expect(result.code).toBe(7);
    expect(result.stderr).toMatch(
      /^error: DATABASE_URL: nothing accepts connections at 127\.0\.0\.1:9[^\n]*127\.0\.0\.1:9\/nowhere\)\n$/,
    );
    expect(result.stderr).not.toContain('hunter22');
  });
});

describe.concurrent('fsm', () => {
  // An unreachable database and no secret: fsm needs neither.
  const env = { DATABASE_URL: 'postgres://postgres@127.0.0.1:9/none', PIPELINEJOBS_SECRET: undefined };

  it('prints the table with each state, its events and their targets', async () => {
    const result = await runCli(['fsm'], { env });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^STATE\s+EVENT\s+TO/);
    expect(result.stdout).toMatch(/^CREATED \(initial\)\s+create\s+CREATED/m);
    expect(result.stdout).toMatch(/^\s+run\s+RUNNING$/m);
    expect(result.stdout).toMatch(/^RESET\s+reset\s+RESET \(same\)/m);
    expect(result.stdout).toMatch(/^\s+ready\s+CREATED\s+needs an admin token$/m);
  });

  it.each([
    ['mermaid', /^stateDiagram-v2\n/],
    ['dot', /^digraph PipelineJobFSM \{\n/],
    ['svg', /^(<\?xml|<svg)/],
    ['table', /^STATE/],
  ])('--format %s works without a database', async (format, start) => {
    const result = await runCli(['fsm', '--format', format], { env });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(start);
  });

  it('draws the SVG with Graphviz: one node per state, and "any state" for reset', async () => {
    const result = await runCli(['fsm', '--format', 'svg'], { env });
    expect(result.stdout).toContain('</svg>');
    expect(result.stdout.match(/class="node"/g)).toHaveLength(12);
    expect(result.stdout).toContain('<title>ANY_STATE</title>');
  });
});
