/**
 * Undo steps (stop the Manager, drop the bench database, stop the embedded server), run last
 * first, at the end of the run and on Ctrl-C, so an interrupted bench leaves nothing behind.
 */
export class Cleanup {
  private readonly steps: { what: string; run: () => Promise<void> }[] = [];
  private running: Promise<void> | undefined;

  add(what: string, run: () => Promise<void>): () => Promise<void> {
    const step = { what, run };
    this.steps.push(step);
    // Runs one step early (e.g. stop a Manager between sizes) and forgets it.
    return async () => {
      const i = this.steps.indexOf(step);
      if (i >= 0) this.steps.splice(i, 1);
      await run();
    };
  }

  runAll(): Promise<void> {
    this.running ??= (async () => {
      while (this.steps.length > 0) {
        const step = this.steps.pop()!;
        try {
          await step.run();
        } catch (error) {
          process.stderr.write(`cleanup: could not ${step.what}: ${String(error)}\n`);
        }
      }
    })();
    return this.running;
  }
}
