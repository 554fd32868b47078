import { cpuSeconds, RssSampler, reapedChildrenCpuSeconds, serverCpuSeconds } from './proc.js';
import { isPgbench, type RunResult } from './run-result.js';

export interface MeasureContext {
  postmasterPid: number | undefined;
  /** The HTTP server under test; undefined for a pgbench run. */
  serverPid: number | undefined;
}

/**
 * Runs one measurement and adds what the engines cost the machine meanwhile: CPU seconds of
 * PostgreSQL, of the HTTP server under test (the Manager or a floor) and of the load generator
 * (pgbench is a child process, counted when it exits; autocannon runs in this process), and the
 * server's peak RSS.
 */
export async function measured(ctx: MeasureContext, run: () => Promise<RunResult>): Promise<RunResult> {
  const pg0 = ctx.postmasterPid === undefined ? undefined : serverCpuSeconds(ctx.postmasterPid);
  const server0 = ctx.serverPid === undefined ? undefined : cpuSeconds(ctx.serverPid);
  const self0 = process.cpuUsage();
  const children0 = reapedChildrenCpuSeconds();
  const rss = ctx.serverPid === undefined ? undefined : new RssSampler(ctx.serverPid).start();
  const result = await run();
  const rssMb = rss?.stop();
  const pg1 = ctx.postmasterPid === undefined ? undefined : serverCpuSeconds(ctx.postmasterPid);
  const server1 = ctx.serverPid === undefined ? undefined : cpuSeconds(ctx.serverPid);
  const self = process.cpuUsage(self0);
  const client = isPgbench(result.engine)
    ? reapedChildrenCpuSeconds() - children0
    : (self.user + self.system) / 1e6;
  return {
    ...result,
    ...(rssMb === undefined ? {} : { rssMb }),
    cpu: {
      postgres: pg0 === undefined || pg1 === undefined ? undefined : pg1 - pg0,
      server: server0 === undefined || server1 === undefined ? undefined : server1 - server0,
      client,
    },
  };
}
