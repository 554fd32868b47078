/**
 * A one-line counter on stderr while `--all` walks the pages, redrawn in place; only on a
 * terminal, so pipes and logs never see carriage returns.
 */
export function createProgress(label: string, enabled: boolean) {
  let shown = false;
  return {
    update(count: number): void {
      if (!enabled) return;
      process.stderr.write(`\r${label}: ${count}…`);
      shown = true;
    },
    done(): void {
      if (shown) process.stderr.write('\r\u001b[K');
      shown = false;
    },
  };
}
