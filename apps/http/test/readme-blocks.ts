import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A shell block of a README that says it runs as written: the fenced ```sh block right after a
 * `<!-- runnable: SETUP -->` marker (`<!-- runnable: SETUP background -->` for a command that
 * keeps running, such as the Manager). SETUP names the surroundings the block expects (a started
 * Manager, a database, ...), which the test provides; the reader provides them as the README says.
 */
export interface RunnableBlock {
  /** The README, relative to the repository root. */
  readonly file: string;
  readonly setup: string;
  readonly background: boolean;
  readonly script: string;
  /** 1-based line of the marker. */
  readonly line: number;
}

const MARKER = /<!-- runnable: ([a-z-]+)( background)? -->[ \t]*\n\s*```(?:sh|bash)\n([\s\S]*?)```/g;

/** The runnable blocks of one README, in order. */
function runnableBlocks(markdown: string, file: string): RunnableBlock[] {
  return [...markdown.matchAll(MARKER)].map((match) => ({
    file,
    setup: match[1] ?? '',
    background: match[2] !== undefined,
    script: match[3] ?? '',
    line: markdown.slice(0, match.index).split('\n').length,
  }));
}

/** Markers that do not sit right before a shell block: a block someone meant to be run, is not. */
export function strayMarkers(markdown: string): number {
  const markers = markdown.match(/<!-- runnable:[^>]*-->/g) ?? [];
  return markers.length - [...markdown.matchAll(MARKER)].length;
}

/** The repository's README and every app's and package's, relative to `root`. */
export function readmeFiles(root: string): string[] {
  const files = ['README.md'];
  for (const dir of ['apps', 'packages']) {
    for (const name of readdirSync(join(root, dir)).sort()) {
      if (existsSync(join(root, dir, name, 'README.md'))) files.push(`${dir}/${name}/README.md`);
    }
  }
  for (const extra of ['bench/README.md', 'test/reliability/README.md', 'docs/README.md']) {
    if (existsSync(join(root, extra))) files.push(extra);
  }
  return files;
}

/** Every runnable block of the repository's READMEs. */
export function allRunnableBlocks(root: string): RunnableBlock[] {
  return readmeFiles(root).flatMap((file) => runnableBlocks(readFileSync(join(root, file), 'utf8'), file));
}

/**
 * One bash script of the blocks of one setup in one README, in order, so that what a block sets
 * (`KEY=$(...)`) is there for the next, as in the reader's shell. A background block (one command,
 * such as the Manager) runs in its own process group, stopped with SIGTERM at the end with its
 * exit status checked, and the script waits for `$READY_URL` to answer before going on.
 */
export function scriptOf(blocks: readonly RunnableBlock[]): string {
  const parts = [
    'set -euo pipefail',
    'set -m # background blocks in process groups of their own',
    'background=()',
    'stop_background() {',
    '  local status=0',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: bash, not a template
    '  for pid in "${background[@]}"; do',
    '    kill -TERM -- "-$pid" 2>/dev/null || true',
    '    wait "$pid" || status=$?',
    '  done',
    '  background=()',
    '  return "$status"',
    '}',
    "trap 'stop_background >/dev/null 2>&1 || true' EXIT",
  ];
  for (const block of blocks) {
    parts.push(`# ${block.file}:${block.line}`);
    if (!block.background) {
      parts.push(block.script);
      continue;
    }
    // Through `bash -c`, which runs a single command in its own process (exec): the signal at
    // the end reaches the command itself, and its exit status is the one checked.
    const quoted = `'${block.script.trim().replaceAll("'", "'\\''")}'`;
    parts.push(
      `bash -c ${quoted} > "$BACKGROUND_LOG" 2>&1 &`,
      'background+=("$!")',
      'for _ in $(seq 1 300); do curl -sf "$READY_URL" >/dev/null 2>&1 && break; sleep 0.1; done',
      'curl -sf "$READY_URL" >/dev/null || { cat "$BACKGROUND_LOG" >&2; echo "not ready: $READY_URL" >&2; exit 1; }',
    );
  }
  parts.push('trap - EXIT', 'stop_background');
  return `${parts.join('\n')}\n`;
}
