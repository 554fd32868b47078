import {
  createSubscription,
  deleteSubscription,
  getSubscription,
  listDeliveries,
  listSubscriptions,
  redeliverNotification,
  replaySubscription,
  subscriptionIdInput,
  updateSubscription,
} from '@pipelinejobs/service';
import { type Command, Option } from 'commander';
import type { Invocation } from '../invocation.js';
import { withServices, withServicesChanging } from '../session.js';
import { attemptTable, subscriptionDetails, subscriptionTable } from '../views/subscription-view.js';

interface FilterOptions {
  pipeline?: string;
  job?: string;
  state?: string[];
  event?: string[];
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** The filter options, shared by create and update. */
function withFilterOptions(command: Command): Command {
  return command
    .option('--pipeline <uuid>', 'only jobs of this pipeline (106...)')
    .option('--job <uuid>', 'only this job (107...)')
    .option('--state <state>', 'only transitions into this state (repeat for several)', collect)
    .option('--event <name>', 'only this event, lower case (repeat for several)', collect);
}

/** The filter the options give; undefined when none was given. */
function filterOf(options: FilterOptions) {
  const filter = {
    ...(options.pipeline === undefined ? {} : { pipeline_uuid: options.pipeline }),
    ...(options.job === undefined ? {} : { job_uuid: options.job }),
    ...(options.state === undefined ? {} : { states: options.state }),
    ...(options.event === undefined ? {} : { events: options.event }),
  };
  return Object.keys(filter).length === 0 ? undefined : filter;
}

/** `subscriptions create|list|show|update|delete|deliveries|replay|redeliver`: outbound notifications. */
export function registerSubscriptions(program: Command, invocation: Invocation): void {
  const subscriptions = program
    .command('subscriptions')
    .description('manage outbound notifications: URLs that receive every job transition, signed');

  withFilterOptions(
    subscriptions
      .command('create')
      .description('subscribe a URL and print its signing secret (only this once)')
      .requiredOption('--url <url>', 'where to POST each notification (http or https)')
      .option('--description <text>', 'a note for operators'),
  ).action(async (options: FilterOptions & { url: string; description?: string }, command: Command) => {
    const change = { what: 'the subscription', check: 'pipelinejobs subscriptions list' };
    await withServicesChanging(invocation, command, change, async ({ services, out, operator }) => {
      const filter = filterOf(options);
      const { subscription, secret } = await createSubscription(services, operator, {
        url: options.url,
        ...(options.description === undefined ? {} : { description: options.description }),
        ...(filter === undefined ? {} : { filter }),
      });
      out.result({ ...subscription, secret }, () => {
        // Only the secret on stdout, for SECRET=$(pipelinejobs subscriptions create ...).
        out.line(secret);
        out.note(`Subscription ${subscription.id} created. Its signing secret is shown only this once.`);
      });
    });
  });

  subscriptions
    .command('list')
    .description('list the subscriptions (never their secrets)')
    .action(async (_options: unknown, command: Command) => {
      await withServices(invocation, command, async ({ services, out, operator }) => {
        const items = await listSubscriptions(services, operator);
        out.result({ items, next: null }, () =>
          out.line(items.length === 0 ? 'No subscriptions.' : subscriptionTable(items, out.style, out.width)),
        );
      });
    });

  subscriptions
    .command('show')
    .description('show one subscription')
    .argument('<id>', 'the subscription id')
    .action(async (id: string, _options: unknown, command: Command) => {
      const parsed = subscriptionIdInput(id);
      await withServices(invocation, command, async ({ services, out, operator }) => {
        const subscription = await getSubscription(services, operator, parsed);
        out.result(subscription, () => out.line(subscriptionDetails(subscription, out.style)));
      });
    });

  withFilterOptions(
    subscriptions
      .command('update')
      .description('change a subscription; filter options replace the whole filter')
      .argument('<id>', 'the subscription id')
      .option('--url <url>', 'a new target')
      .option('--description <text>', 'a new note')
      .addOption(new Option('--enable', 'deliver again (what waited is sent)').conflicts('disable'))
      .addOption(new Option('--disable', 'stop delivering (notifications wait)'))
      .option(
        '--rotate-secret',
        'issue a new secret, printed once; the old one stays valid for the grace period',
      ),
  ).action(
    async (
      id: string,
      options: FilterOptions & {
        url?: string;
        description?: string;
        enable?: boolean;
        disable?: boolean;
        rotateSecret?: boolean;
      },
      command: Command,
    ) => {
      const parsed = subscriptionIdInput(id);
      const change = { what: 'the change', check: `pipelinejobs subscriptions show ${parsed}` };
      await withServicesChanging(invocation, command, change, async ({ services, out, operator }) => {
        const filter = filterOf(options);
        const enabled = options.enable ? true : options.disable ? false : undefined;
        const { subscription, secret } = await updateSubscription(services, operator, parsed, {
          ...(options.url === undefined ? {} : { url: options.url }),
          ...(options.description === undefined ? {} : { description: options.description }),
          ...(filter === undefined ? {} : { filter }),
          ...(enabled === undefined ? {} : { enabled }),
          ...(options.rotateSecret ? { rotate_secret: true } : {}),
        });
        out.result(secret === undefined ? subscription : { ...subscription, secret }, () => {
          if (secret !== undefined) {
            out.line(secret);
            out.note(
              `New signing secret; the previous one is valid until ${subscription.previous_secret_until}.`,
            );
          } else out.line(subscriptionDetails(subscription, out.style));
        });
      });
    },
  );

  subscriptions
    .command('delete')
    .description('delete a subscription with its pending notifications and its delivery log')
    .argument('<id>', 'the subscription id')
    .action(async (id: string, _options: unknown, command: Command) => {
      const parsed = subscriptionIdInput(id);
      const change = { what: 'the deletion', check: 'pipelinejobs subscriptions list' };
      await withServicesChanging(invocation, command, change, async ({ services, out, operator }) => {
        await deleteSubscription(services, operator, parsed);
        out.result({ id: parsed, deleted: true }, () => out.line(`Deleted subscription ${parsed}`));
      });
    });

  subscriptions
    .command('deliveries')
    .description('the delivery log: every attempt, newest first')
    .argument('<id>', 'the subscription id')
    .option('--limit <n>', 'at most this many attempts (1 to 1000)', '100')
    .action(async (id: string, options: { limit: string }, command: Command) => {
      const parsed = subscriptionIdInput(id);
      await withServices(invocation, command, async ({ services, out, operator }) => {
        const page = await listDeliveries(services, operator, parsed, { limit: options.limit });
        out.result(page, () =>
          out.line(
            page.deliveries.length === 0
              ? 'No attempts yet.'
              : attemptTable(page.deliveries, out.style, out.width),
          ),
        );
      });
    });

  subscriptions
    .command('replay')
    .description('deliver again every transition since a time that the filter wants')
    .argument('<id>', 'the subscription id')
    .requiredOption('--since <time>', 'an ISO 8601 time with its zone (2026-11-20T15:00:00Z)')
    .action(async (id: string, options: { since: string }, command: Command) => {
      const parsed = subscriptionIdInput(id);
      const change = { what: 'the replay', check: `pipelinejobs subscriptions deliveries ${parsed}` };
      await withServicesChanging(invocation, command, change, async ({ services, out, operator }) => {
        const result = await replaySubscription(services, operator, parsed, { since: options.since });
        out.result(result, () => out.line(`Queued ${result.queued} notifications`));
      });
    });

  subscriptions
    .command('redeliver')
    .description("deliver one history entry again (a job's uuid and the entry's seq)")
    .argument('<id>', 'the subscription id')
    .requiredOption('--job <uuid>', 'the job (107...)')
    .requiredOption('--seq <n>', "the entry's place in the job's history, from 1")
    .action(async (id: string, options: { job: string; seq: string }, command: Command) => {
      const parsed = subscriptionIdInput(id);
      const change = { what: 'the redelivery', check: `pipelinejobs subscriptions deliveries ${parsed}` };
      await withServicesChanging(invocation, command, change, async ({ services, out, operator }) => {
        const seq = /^\d+$/.test(options.seq) ? Number(options.seq) : options.seq;
        const result = await redeliverNotification(services, operator, parsed, {
          job_uuid: options.job,
          seq,
        });
        out.result(result, () => out.line(`Queued entry ${options.seq} of job ${options.job}`));
      });
    });
}
