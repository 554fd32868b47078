import type { PipelineJobsClient } from '@pipelinejobs/client';
import type { HistoryEvent, JobDocument } from '@pipelinejobs/schemas';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ErrorNote, Link } from './app.js';
import { watchHistory } from './live.js';
import { DateTime, JsonBlock, StateBadge } from './parts.js';

/** The Manager's SVG, parsed as SVG (never as HTML) and put in place of the previous one. */
function FsmPicture(props: { svg: string | undefined; state: string }) {
  const holder = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = holder.current;
    if (!element || props.svg === undefined) return;
    const parsed = new DOMParser().parseFromString(props.svg, 'image/svg+xml');
    const svg = parsed.documentElement;
    if (svg.nodeName !== 'svg') return;
    for (const script of svg.querySelectorAll('script, foreignObject')) script.remove();
    svg.setAttribute('aria-hidden', 'true');
    svg.removeAttribute('width');
    svg.removeAttribute('height');
    element.replaceChildren(document.importNode(svg, true));
  }, [props.svg]);
  return (
    <figure class="fsm">
      <div
        ref={holder}
        class="fsm-picture"
        role="img"
        aria-label={`The state machine, with the job's current state ${props.state} and its path highlighted`}
        data-state={props.state}
      />
      <figcaption>Current state: {props.state}. Bold: the transitions this job went through.</figcaption>
    </figure>
  );
}

function who(principal: HistoryEvent['principal']): string {
  if (!principal) return 'unknown';
  const { kind, id } = principal as { kind?: string; id?: string };
  return [kind, id].filter(Boolean).join(' ');
}

function Timeline(props: { events: readonly HistoryEvent[] }) {
  if (props.events.length === 0) return <p>No event yet.</p>;
  return (
    <ol class="timeline">
      {props.events.map((event) => (
        <li key={event.seq} data-seq={event.seq}>
          <p class="event-head">
            <span class="seq">#{event.seq}</span> <strong class="event-name">{event.name}</strong>{' '}
            <span class="transition">
              <StateBadge state={event.from} /> <span aria-hidden="true">→</span>
              <span class="visually-hidden">to</span> <StateBadge state={event.to} />
            </span>
          </p>
          <p class="event-meta">
            <DateTime value={event.date} /> by <span class="who">{who(event.principal)}</span>
            {event.source ? <> via {String(event.source)}</> : null}
          </p>
          {event.data && Object.keys(event.data).length > 0 && (
            <JsonBlock value={event.data} label={`Data of event #${event.seq}`} />
          )}
        </li>
      ))}
    </ol>
  );
}

/** One job: details, data, the FSM picture and the history, kept current as events arrive. */
export function JobPage(props: { client: PipelineJobsClient; uuid: string }) {
  const { client, uuid } = props;
  const [job, setJob] = useState<JobDocument>();
  const [events, setEvents] = useState<HistoryEvent[]>([]);
  const [svg, setSvg] = useState<string>();
  const [error, setError] = useState<unknown>();
  const [connected, setConnected] = useState<boolean | undefined>();
  const [arrived, setArrived] = useState(0);
  const [gone, setGone] = useState(false);

  useEffect(() => {
    const stop = new AbortController();
    // The job's own document (state, updated) after events: one read at a time, and one more
    // when events came during it (a burst of events is not a burst of reads).
    let reading = false;
    let again = false;
    const refresh = () => {
      if (reading) {
        again = true;
        return;
      }
      reading = true;
      again = false;
      client.jobs
        .get(uuid)
        .then(
          (current) => !stop.signal.aborted && setJob(current),
          () => undefined,
        )
        .finally(() => {
          reading = false;
          if (again && !stop.signal.aborted) refresh();
        });
    };
    (async () => {
      try {
        const found = await client.jobs.get(uuid);
        const history = await client.jobs.history(uuid).toArray();
        if (stop.signal.aborted) return;
        setJob(found);
        setEvents(history);
        const last = history.at(-1)?.seq ?? 0;
        watchHistory(
          client,
          uuid,
          last,
          (event) => {
            setEvents((before) => (before.some((e) => e.seq === event.seq) ? before : [...before, event]));
            setArrived((n) => n + 1);
            refresh();
          },
          setConnected,
          stop.signal,
          () => setGone(true),
        );
      } catch (failure) {
        if (!stop.signal.aborted) setError(failure);
      }
    })();
    return () => stop.abort();
  }, [client, uuid]);

  // The picture is drawn again whenever the state changes.
  const state = job?.state;
  useEffect(() => {
    if (!state) return;
    let live = true;
    client.jobs.fsmSvg(uuid).then(
      (text) => live && setSvg(text),
      (failure) => live && setError(failure),
    );
    return () => {
      live = false;
    };
  }, [client, uuid, state]);

  if (error !== undefined && !job) {
    return (
      <>
        <h1>Job {uuid}</h1>
        <ErrorNote error={error} />
        <p>
          <Link to={{ page: 'jobs', filters: {} }}>Back to the jobs</Link>
        </p>
      </>
    );
  }
  if (!job) return <p aria-live="polite">Loading job {uuid}...</p>;
  return (
    <>
      <h1 class="job-title">
        Job <span class="uuid">{job.uuid}</span>
      </h1>
      <p class="live" aria-live="polite">
        <span class={`dot ${gone || connected === false ? 'off' : 'on'}`} aria-hidden="true" />
        {gone
          ? 'This job was deleted: no more events will come'
          : connected === false
            ? 'Live updates interrupted; retrying'
            : 'Live: new events appear here'}
        {arrived > 0 ? ` (${arrived} new since opened)` : ''}
      </p>
      <ErrorNote error={error} />
      <div class="job-grid">
        <section aria-labelledby="details-heading">
          <h2 id="details-heading">Details</h2>
          <dl class="details">
            <dt>State</dt>
            <dd>
              <StateBadge state={job.state} /> <span class="since">since</span>{' '}
              <DateTime value={job.state_since} />
            </dd>
            <dt>Last event</dt>
            <dd>{job.last_event ?? '-'}</dd>
            <dt>Pipeline</dt>
            <dd>
              <Link to={{ page: 'pipeline', uuid: job.pipeline_uuid }}>{job.pipeline_uuid}</Link>
            </dd>
            <dt>Created</dt>
            <dd>
              <DateTime value={job.created} />
            </dd>
            <dt>Updated</dt>
            <dd>
              <DateTime value={job.updated} />
            </dd>
            <dt>Archive</dt>
            <dd class="wrap">
              {job.archive_system ? `${job.archive_system}:` : ''}
              {job.archive_path}
            </dd>
            {job.child_of && job.child_of.length > 0 && (
              <>
                <dt>Child of</dt>
                <dd>
                  <ul class="plain">
                    {job.child_of.map((parent) => (
                      <li key={parent}>
                        <Link to={{ page: 'job', uuid: parent }}>{parent}</Link>
                      </li>
                    ))}
                  </ul>
                </dd>
              </>
            )}
          </dl>
        </section>
        <section aria-labelledby="data-heading">
          <h2 id="data-heading">Data</h2>
          <JsonBlock value={job.data} label="The job's data (JSON)" open />
        </section>
      </div>
      <section aria-labelledby="fsm-heading">
        <h2 id="fsm-heading">State machine</h2>
        <FsmPicture svg={svg} state={job.state} />
      </section>
      <section aria-labelledby="history-heading">
        <h2 id="history-heading">History</h2>
        <Timeline events={events} />
      </section>
    </>
  );
}
