import type { ChildProcess } from 'node:child_process';

/** What a child process has written so far, on stdout and on stderr. */
export function childOutput(proc: ChildProcess): { stdout(): string; stderr(): string } {
  let stdout = '';
  let stderr = '';
  proc.stdout?.on('data', (d) => {
    stdout += d;
  });
  proc.stderr?.on('data', (d) => {
    stderr += d;
  });
  return { stdout: () => stdout, stderr: () => stderr };
}
