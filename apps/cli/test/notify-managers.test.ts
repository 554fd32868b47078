import { fixturePath, TACOBOT_JOB } from '@pipelinejobs/fixtures';
import { openDatabase } from '@pipelinejobs/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ManagerChild, startManagerProcess } from '../../../test/manager-process.js';
import { eventually, type Receiver, startReceiver } from '../../../test/webhook-receiver.js';
import { json, SECRET, useTestDatabaseCli } from './run-cli.js';

/**
 * The CLI runs no dispatcher: the notifications its writes queue are delivered by the Managers,
 * which it tells (NOTIFY) when it is done, rather than leaving them to the next poll (a minute
 * here; 5 s by default).
 */
const cli = useTestDatabaseCli();
let manager: ManagerChild;
let receiver: Receiver;

beforeAll(async () => {
  receiver = await startReceiver();
  for (const args of [
    ['pipelines', 'add', fixturePath('sd2e/pipelines/tacobot.json')],
    ['jobs', 'create', fixturePath('sd2e/jobs/tacobot.json')],
    ['subscriptions', 'create', '--url', receiver.url],
  ]) {
    const result = await cli(args, { env: { PIPELINEJOBS_WEBHOOK_ALLOW_PRIVATE: 'true' } });
    expect(result.code, result.stderr).toBe(0);
  }
  // Started after the subscription: its first poll finds it, and it LISTENs from then on.
  manager = await startManagerProcess({
    env: {
      DATABASE_URL: cli.url(),
      PIPELINEJOBS_SECRET: SECRET,
      LOG_LEVEL: 'warn',
      PIPELINEJOBS_WEBHOOK_ALLOW_PRIVATE: 'true',
      PIPELINEJOBS_WEBHOOK_POLL: '60s',
    },
  });
  // Its first poll finds the subscription and LISTENs (the job was created before the
  // subscription: nothing is pending); waited for, so the CLI's NOTIFY cannot come before it.
  const db = await openDatabase({ url: cli.url(), poolSize: 1 }, { migrate: false });
  try {
    await eventually(
      'the Manager listening',
      async () =>
        (
          await db.sql`select 1 from pg_stat_activity where datname = current_database() and query ilike 'listen%pipelinejobs_outbox%'`
        ).length > 0,
      30_000,
    );
  } finally {
    await db.close();
  }
});
// After hooks run in reverse order: the Manager stops before the database is dropped.
afterAll(async () => {
  await manager?.kill9();
  await receiver?.stop();
});

describe('an event sent with the CLI, with a Manager running', () => {
  it('is delivered by the Manager at once, not at its next poll', async () => {
    const before = receiver.accepted().length;
    const admin = json<{ token: string }>(await cli(['admin-token', '--json']));
    const sent = await cli(['send', TACOBOT_JOB, 'run', '--token', admin.token]);
    expect(sent.code, sent.stderr).toBe(0);
    await eventually('the event delivered', () => receiver.accepted().length > before, 3000);
    const last = JSON.parse(receiver.accepted().at(-1)?.body ?? '{}') as { event_name?: string };
    expect(last.event_name).toBe('run');
  });
});
