import type { PipelineJobsClient } from '@pipelinejobs/client';
import { useEffect, useState } from 'preact/hooks';
import { type Delivery, recentDeliveries, type Subscription, subscriptions } from './api.js';
import { ErrorNote, Link } from './app.js';
import { DateTime } from './parts.js';

function Deliveries(props: { client: PipelineJobsClient; id: string }) {
  const [items, setItems] = useState<Delivery[]>();
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    recentDeliveries(props.client, props.id).then(setItems, setError);
  }, [props.client, props.id]);
  if (error !== undefined) return <ErrorNote error={error} />;
  if (!items) return <p>Loading deliveries...</p>;
  if (items.length === 0) return <p>No delivery yet.</p>;
  return (
    <div class="table-wrap">
      <table>
        <caption>The 10 most recent delivery attempts</caption>
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Job</th>
            <th scope="col">Seq</th>
            <th scope="col">Outcome</th>
            <th scope="col">Status</th>
            <th scope="col">Took</th>
          </tr>
        </thead>
        <tbody>
          {items.map((item) => (
            <tr key={item.id}>
              <td>
                <DateTime value={item.attempted} />
              </td>
              <td class="uuid">
                <Link to={{ page: 'job', uuid: item.job_uuid }}>{item.job_uuid}</Link>
              </td>
              <td>{item.seq}</td>
              <td>{item.outcome}</td>
              <td>{item.status_code ?? item.error ?? '-'}</td>
              <td>{item.duration_ms} ms</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Outbound webhook subscriptions (admin keys): their state and recent deliveries. */
export function SubscriptionsPage(props: { client: PipelineJobsClient }) {
  const [list, setList] = useState<Subscription[]>();
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    subscriptions(props.client).then(setList, setError);
  }, [props.client]);
  return (
    <>
      <h1>Subscriptions</h1>
      <ErrorNote error={error} />
      {list && list.length === 0 && <p>No subscription.</p>}
      {list?.map((subscription) => (
        <section key={subscription.id} class="subscription" aria-labelledby={`sub-${subscription.id}`}>
          <h2 id={`sub-${subscription.id}`} class="wrap">
            {subscription.description || subscription.url}
          </h2>
          <dl class="details">
            <dt>URL</dt>
            <dd class="wrap">{subscription.url}</dd>
            <dt>State</dt>
            <dd>
              {subscription.enabled
                ? subscription.failing_since
                  ? 'enabled, failing'
                  : 'enabled'
                : `disabled${subscription.disabled_reason ? `: ${subscription.disabled_reason}` : ''}`}
            </dd>
            {subscription.failing_since && (
              <>
                <dt>Failing since</dt>
                <dd>
                  <DateTime value={subscription.failing_since} />
                </dd>
              </>
            )}
            <dt>Filter</dt>
            <dd>
              <code>{JSON.stringify(subscription.filter)}</code>
            </dd>
            <dt>Created</dt>
            <dd>
              <DateTime value={subscription.created} />
            </dd>
          </dl>
          <Deliveries client={props.client} id={subscription.id} />
        </section>
      ))}
    </>
  );
}
