import type { JobDocument, PipelineRecord } from '@pipelinejobs/schemas';
import { Link } from './app.js';

/** A date and time, readable, with the exact instant in its `datetime` and title. */
export function DateTime({ value }: { value: string | null | undefined }) {
  if (!value) return <span>-</span>;
  const date = new Date(value);
  return (
    <time dateTime={value} title={value}>
      {Number.isNaN(date.getTime()) ? value : date.toLocaleString()}
    </time>
  );
}

export function StateBadge({ state }: { state: string | null }) {
  if (!state) return <span class="state">-</span>;
  return <span class={`state state-${state.toLowerCase()}`}>{state}</span>;
}

export function JsonBlock(props: { value: unknown; label: string; open?: boolean }) {
  const text = JSON.stringify(props.value, null, 2);
  return (
    <details class="json" open={props.open}>
      <summary>{props.label}</summary>
      <pre>
        <code>{text}</code>
      </pre>
    </details>
  );
}

export function JobTable(props: { jobs: readonly JobDocument[]; pipelines?: readonly PipelineRecord[] }) {
  const names = new Map((props.pipelines ?? []).map((p) => [p.uuid, p.name || p.id]));
  if (props.jobs.length === 0) return <p>No job matches.</p>;
  return (
    <div class="table-wrap">
      <table class="jobs">
        <thead>
          <tr>
            <th scope="col">Job</th>
            <th scope="col">State</th>
            <th scope="col">Pipeline</th>
            <th scope="col">Updated</th>
            <th scope="col">Created</th>
          </tr>
        </thead>
        <tbody>
          {props.jobs.map((job) => (
            <tr key={job.uuid}>
              <td class="uuid">
                <Link to={{ page: 'job', uuid: job.uuid }}>{job.uuid}</Link>
              </td>
              <td>
                <StateBadge state={job.state} />
              </td>
              <td>
                <Link to={{ page: 'pipeline', uuid: job.pipeline_uuid }}>
                  {names.get(job.pipeline_uuid) ?? job.pipeline_uuid}
                </Link>
              </td>
              <td>
                <DateTime value={job.updated} />
              </td>
              <td>
                <DateTime value={job.created} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
