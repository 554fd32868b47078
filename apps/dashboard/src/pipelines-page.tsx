import type { PipelineJobsClient } from '@pipelinejobs/client';
import type { JobDocument, PipelineRecord } from '@pipelinejobs/schemas';
import { useEffect, useState } from 'preact/hooks';
import { ErrorNote, Link } from './app.js';
import { DateTime, JobTable, JsonBlock } from './parts.js';

export function PipelinesPage(props: { client: PipelineJobsClient }) {
  const [pipelines, setPipelines] = useState<PipelineRecord[]>();
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    props.client.pipelines.list({ limit: 100 }).toArray().then(setPipelines, setError);
  }, [props.client]);
  return (
    <>
      <h1>Pipelines</h1>
      <ErrorNote error={error} />
      {!pipelines && !error && <p aria-live="polite">Loading...</p>}
      {pipelines && pipelines.length === 0 && <p>No pipeline is registered.</p>}
      {pipelines && pipelines.length > 0 && (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Id</th>
                <th scope="col">Registered</th>
              </tr>
            </thead>
            <tbody>
              {pipelines.map((pipeline) => (
                <tr key={pipeline.uuid}>
                  <td>
                    <Link to={{ page: 'pipeline', uuid: pipeline.uuid }}>
                      {pipeline.name || pipeline.uuid}
                    </Link>
                  </td>
                  <td>{pipeline.id}</td>
                  <td>
                    <DateTime value={pipeline.created} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

export function PipelinePage(props: { client: PipelineJobsClient; uuid: string }) {
  const { client, uuid } = props;
  const [pipeline, setPipeline] = useState<PipelineRecord>();
  const [jobs, setJobs] = useState<JobDocument[]>();
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    client.pipelines.get(uuid).then(setPipeline, setError);
    client.jobs
      .list({ pipeline_uuid: uuid, limit: 25 })
      .pages()
      .next()
      .then((first) => setJobs(first.done ? [] : first.value.items), setError);
  }, [client, uuid]);
  return (
    <>
      <h1>Pipeline {pipeline ? pipeline.name || pipeline.id : uuid}</h1>
      <ErrorNote error={error} />
      {pipeline && (
        <>
          <dl class="details">
            <dt>UUID</dt>
            <dd class="uuid">{pipeline.uuid}</dd>
            <dt>Id</dt>
            <dd>{pipeline.id}</dd>
            <dt>Registered</dt>
            <dd>
              <DateTime value={pipeline.created} />
            </dd>
          </dl>
          <JsonBlock value={pipeline.body} label="Pipeline document" />
        </>
      )}
      <h2>Recent jobs</h2>
      {jobs ? <JobTable jobs={jobs} /> : !error && <p aria-live="polite">Loading...</p>}
      <p>
        <Link to={{ page: 'jobs', filters: { pipeline: uuid } }}>All jobs of this pipeline</Link>
      </p>
    </>
  );
}
