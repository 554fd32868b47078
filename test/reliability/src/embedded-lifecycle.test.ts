import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './cli-process.js';
import { type EmbeddedDefault, embeddedDefault } from './embedded-default.js';
import { type EventOutcome, is2xx, sendEvent } from './events.js';
import { type CreatedJob, createJob, registerPipeline } from './fixtures.js';
import { checkHistories } from './history-checks.js';
import { pool, send, statusCounts } from './http.js';
import { finishFile } from './lifecycle.js';
import { ManagerProcess } from './manager-process.js';
import { report } from './results.js';
import { rememberSecrets } from './run-dir.js';
import { timedLoad } from './timed-load.js';

/**
 * The embedded default as users run it (no DATABASE_URL): Managers and CLI commands sharing one
 * data directory and the PostgreSQL server in it. No process may stop the server while another
 * live process uses it, however idle that one is, and a server that dies is started again by
 * the Manager itself, on the same port, with nothing acknowledged lost.
 */
const managers: ManagerProcess[] = [];

afterAll(async () => {
  await finishFile(managers, undefined);
});

/** A Manager on the data directory; its pool lets connections go after 2 s unused. */
async function startManager(name: string, home: EmbeddedDefault): Promise<ManagerProcess> {
  const manager = await ManagerProcess.start({ name, dataDir: home.dataDir, poolIdleSeconds: 2 });
  managers.push(manager);
  home.rememberSecrets();
  return manager;
}

/** An admin API key made with the CLI; on a new data directory this creates the database. */
async function adminKey(home: EmbeddedDefault, name: string): Promise<{ key: string; stderr: string }> {
  const made = await runCli(name, ['keys', 'create', '--role', 'admin', '--label', name], home.env);
  expect(made.code, made.stderr).toBe(0);
  const key = made.stdout.trim();
  rememberSecrets(key);
  home.rememberSecrets();
  return { key, stderr: made.stderr };
}

const readJob = (m: ManagerProcess, key: string, job: CreatedJob) =>
  send(m.base, { method: 'GET', path: `/jobs/${job.uuid}`, headers: { authorization: `Bearer ${key}` } });

describe('the embedded PostgreSQL under live processes', () => {
  it('an idle Manager keeps its database while a CLI command opens and closes it', async () => {
    const home = embeddedDefault('idle-cli');
    const first = await adminKey(home, 'idle-cli-key');
    const stoppedByCli = !home.serverRuns();

    const m = await startManager('idle-cli', home);
    await registerPipeline(m.base, first.key);
    const job = await createJob(m.base, first.key, 'embedded-idle-cli', 1);
    const before = home.server();
    await home.untilIdle(); // the Manager's pool has no connection left
    const cli = await runCli('idle-cli-list', ['jobs', 'list', '--json'], home.env);
    const after = await readJob(m, first.key, job);
    const serverAfter = home.server();

    report('embedded idle manager + cli', {
      'manager connections when the cli ran': 0,
      'cli exit': cli.code,
      'cli ms': Math.round(cli.ms),
      'manager status after the cli': after.status,
      'server still the same process': serverAfter?.pid === before?.pid && home.serverRuns(),
    });
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.stderr, 'the database existed: nothing to say').toBe('');
    expect((JSON.parse(cli.stdout) as { items: unknown[] }).items).toHaveLength(1);
    expect(home.serverRuns(), 'the CLI did not stop the Manager’s server').toBe(true);
    expect(serverAfter?.pid).toBe(before?.pid);
    expect(after.status, after.text).toBe(200);

    expect(await m.stop()).toBe(0);
    expect(home.serverRuns(), 'the Manager was the last user: it stopped the server').toBe(false);
    expect(home.leases()).toEqual([]);
    expect(stoppedByCli, 'the first CLI command was its only user: it stopped the server').toBe(true);
    expect(first.stderr, 'a CLI that finds no database says it made one, and where').toContain(
      `created a new embedded PostgreSQL database in ${home.dataDir}`,
    );
  });

  it('of two idle Managers on one database, the one stopped leaves the server to the other', async () => {
    const home = embeddedDefault('two-idle');
    const { key } = await adminKey(home, 'two-idle-key');
    const a = await startManager('two-idle-a', home);
    const b = await startManager('two-idle-b', home);
    await registerPipeline(a.base, key);
    const job = await createJob(a.base, key, 'embedded-two-idle', 1);
    expect((await readJob(b, key, job)).status).toBe(200);
    const leasesBefore = home.leases().length;
    const before = home.server();
    await home.untilIdle(); // neither Manager has a connection open
    const stopped = await a.stop();
    const after = await readJob(b, key, job);

    report('embedded two idle managers, one stopped', {
      'connections when a stopped': 0,
      'a exit': stopped,
      'b status after': after.status,
      'server still the same process': home.server()?.pid === before?.pid && home.serverRuns(),
    });
    expect(stopped).toBe(0);
    expect(home.serverRuns(), 'the stopped Manager left the server running').toBe(true);
    expect(after.status, after.text).toBe(200);
    expect([leasesBefore, home.leases().length], 'a lease per Manager').toEqual([2, 1]);

    expect(await b.stop()).toBe(0);
    expect(home.serverRuns()).toBe(false);
  });

  it('PostgreSQL killed with -9 under load: the Manager starts it again and serves, nothing acknowledged lost', async () => {
    const home = embeddedDefault('pg-kill9');
    const { key } = await adminKey(home, 'pg-kill9-key');
    const m = await startManager('pg-kill9', home);
    await registerPipeline(m.base, key);
    const jobs = await pool(
      Array.from({ length: 10 }, (_, i) => i),
      4,
      (i) => createJob(m.base, key, 'embedded-kill9', i),
    );

    const load = timedLoad(8, async (i, c) => {
      const job = jobs[i % jobs.length] as CreatedJob;
      const eventKey = `kill9-${c}-${i}`;
      const res = await sendEvent(m.base, key, job, i % 2 ? 'update' : 'resource', {
        key: eventKey,
        data: { i },
        timeoutMs: 30_000,
      });
      return { key: eventKey, job: job.uuid, res };
    });
    const { now, log } = load;
    type Timed = (typeof log)[number];

    await sleep(2000);
    const before = home.server();
    process.kill(before?.pid as number, 'SIGKILL');
    const killedAt = now();
    let recovered: number | undefined;
    let serverBack: number | undefined;
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && recovered === undefined) {
      const current = home.server();
      if (serverBack === undefined && current && current.pid !== before?.pid && home.serverRuns()) {
        serverBack = now();
      }
      // Backends of the killed server may still finish a request under way: count from the new one.
      if (serverBack !== undefined) {
        recovered = log.find((e) => e.start >= (serverBack as number) && is2xx(e.res.status))?.end;
      }
      await sleep(50);
    }
    await sleep(3000); // keep the load on a while after recovery
    await load.stop();

    expect(
      home.serverRuns(),
      `the server runs again; the Manager's log ends:\n${m.logText().slice(-3000)}`,
    ).toBe(true);
    const sql = home.connect('pipelinejobs');
    const history = await checkHistories(
      sql,
      jobs.map((j) => j.uuid),
    ).finally(() => sql.end({ timeout: 5 }));
    const acknowledged = log.filter((e) => is2xx(e.res.status));
    const lost = acknowledged.filter(
      (e) => history.byUuid.get((e.res.json as EventOutcome).event.uuid)?.length !== 1,
    );
    const other5xx = log.filter((e) => e.res.status >= 500 && e.res.status !== 503);
    const noAnswer = log.filter((e) => e.res.status === 0);
    const failedAfterRecovery = log.filter(
      (e) => recovered !== undefined && e.start >= recovered && !is2xx(e.res.status),
    );
    const after = home.server();
    const sample = (list: Timed[]) =>
      list
        .slice(0, 5)
        .map(
          (e) => `${e.res.status || e.res.error} at ${Math.round(e.start)} ms: ${e.res.text.slice(0, 200)}`,
        );

    report('embedded postgres kill -9 under load', {
      'manager alive': m.running,
      requests: log.length,
      statuses: statusCounts(log.map((e) => e.res)),
      'server back ms (new postmaster)': serverBack === undefined ? null : Math.round(serverBack - killedAt),
      'time to recovery ms (kill to the first 2xx sent to the new server)':
        recovered === undefined ? null : Math.round(recovered - killedAt),
      'same port': after?.port === before?.port,
      'failed after recovery': failedAfterRecovery.length,
      '5xx other than 503': other5xx.length,
      'no answer': noAnswer.length,
      acknowledged: acknowledged.length,
      lost: lost.length,
      'history problems': history.problems.length,
    });

    expect(m.running, m.logText().slice(-3000)).toBe(true);
    expect(
      recovered,
      `the Manager serves again by itself; its log ends:\n${m.logText().slice(-3000)}`,
    ).toBeDefined();
    expect((recovered as number) - killedAt, 'within a few seconds').toBeLessThan(15_000);
    expect(after?.pid).not.toBe(before?.pid);
    expect(after?.port, 'on the same port, so the pool reconnects').toBe(before?.port);
    expect(m.logText()).toMatch(/restarted on port \d+/);
    expect(sample(failedAfterRecovery), 'every request succeeds once recovered').toEqual([]);
    expect(sample(other5xx), 'while down: 503, no other 5xx').toEqual([]);
    expect(history.problems).toEqual([]);
    expect(lost.length, 'no acknowledged event lost').toBe(0);

    expect(await m.stop()).toBe(0);
    expect(home.serverRuns()).toBe(false);
    expect(home.leases()).toEqual([]);
  });
});
