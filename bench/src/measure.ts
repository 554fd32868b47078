import { cpuSeconds, RssSampler, reapedChildrenCpuSeconds, serverCpuSeconds } from './proc.js';
import type { RunResult } from './run-result.js';

export interface MeasureContext {
  postmasterPid: number | undefined;
  managerPid: number;
}

/**
 * Runs one measurement and adds what the engines cost the machine meanwhile: CPU seconds of
 * PostgreSQL, of the Manager and of the load generator (pgbench is a child process, counted when
 * it exits; autocannon runs in this process), and the Manager's peak RSS.
 */
export async function measured(ctx: MeasureContext, run: () => Promise<RunResult>): Promise<RunResult> {
  const pg0 = ctx.postmasterPid === undefined ? undefined : serverCpuSeconds(ctx.postmasterPid);
  const manager0 = cpuSeconds(ctx.managerPid);
  const self0 = process.cpuUsage();
  const children0 = reapedChildrenCpuSeconds();
  const rss = new RssSampler(ctx.managerPid).start();
  const result = await run();
  const rssMb = rss.stop();
  const pg1 = ctx.postmasterPid === undefined ? undefined : serverCpuSeconds(ctx.postmasterPid);
  const manager1 = cpuSeconds(ctx.managerPid);
  const self = process.cpuUsage(self0);
  const client =
    result.engine === 'pgbench' ? reapedChildrenCpuSeconds() - children0 : (self.user + self.system) / 1e6;
  return {
    ...result,
    ...(result.engine === 'manager' ? { rssMb } : {}),
    cpu: {
      postgres: pg0 === undefined || pg1 === undefined ? undefined : pg1 - pg0,
      manager: manager0 === undefined || manager1 === undefined ? undefined : manager1 - manager0,
      client,
    },
  };
}
