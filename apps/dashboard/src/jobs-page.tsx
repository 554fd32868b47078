import type { Page, PipelineJobsClient } from '@pipelinejobs/client';
import { STATE_NAMES } from '@pipelinejobs/core';
import type { JobDocument, PipelineRecord } from '@pipelinejobs/schemas';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { type JobCounts, jobCounts } from './api.js';
import { ErrorNote, Link, navigate } from './app.js';
import { JobTable } from './parts.js';
import type { JobFilters } from './route.js';

const PAGE_SIZE = 25;
const UUID_SEARCH = /^[0-9a-f-]{8,}$/i;

/** An ISO instant as the value of a datetime-local input (local time, minutes). */
function localInput(iso: string | undefined): string {
  if (!iso) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  const local = new Date(date.getTime() - date.getTimezoneOffset() * 60_000);
  return local.toISOString().slice(0, 16);
}

/**
 * The filters form holds what the user is choosing until Apply (its fields are not bound to the
 * address, which a re-render, e.g. the counts arriving, would put back); they are set to the
 * address's filters when those change (Apply, Clear, a count's link, back).
 */
function Filters(props: { filters: JobFilters; pipelines: PipelineRecord[] }) {
  const { filters } = props;
  const form = useRef<HTMLFormElement>(null);
  const key = JSON.stringify(filters);
  useEffect(() => {
    const fields = form.current?.elements;
    if (!fields) return;
    const field = <T,>(name: string) => fields.namedItem(name) as T;
    field<HTMLSelectElement>('state').value = filters.state ?? '';
    field<HTMLSelectElement>('pipeline').value = filters.pipeline ?? '';
    field<HTMLInputElement>('since').value = localInput(filters.since);
    field<HTMLInputElement>('overdue').checked = filters.overdue === true;
  }, [key]);
  return (
    <form
      ref={form}
      class="filters"
      aria-label="Filter jobs"
      onSubmit={(event) => {
        event.preventDefault();
        const form = new FormData(event.currentTarget);
        const since = String(form.get('since') ?? '');
        const sinceDate = since ? new Date(since) : undefined;
        navigate({
          page: 'jobs',
          filters: {
            state: String(form.get('state') ?? '') || undefined,
            pipeline: String(form.get('pipeline') ?? '') || undefined,
            since: sinceDate && !Number.isNaN(sinceDate.getTime()) ? sinceDate.toISOString() : undefined,
            overdue: form.get('overdue') === 'on' || undefined,
          },
        });
      }}
    >
      <div class="field">
        <label for="filter-state">State</label>
        <select id="filter-state" name="state">
          <option value="" selected={!filters.state}>
            Any state
          </option>
          {STATE_NAMES.map((state) => (
            <option key={state} value={state} selected={filters.state === state}>
              {state}
            </option>
          ))}
        </select>
      </div>
      <div class="field">
        <label for="filter-pipeline">Pipeline</label>
        <select id="filter-pipeline" name="pipeline">
          <option value="" selected={!filters.pipeline}>
            Any pipeline
          </option>
          {props.pipelines.map((pipeline) => (
            <option key={pipeline.uuid} value={pipeline.uuid} selected={filters.pipeline === pipeline.uuid}>
              {pipeline.name || pipeline.id}
            </option>
          ))}
          {filters.pipeline && !props.pipelines.some((p) => p.uuid === filters.pipeline) && (
            <option value={filters.pipeline} selected>
              {filters.pipeline}
            </option>
          )}
        </select>
      </div>
      <div class="field">
        <label for="filter-since">Updated since</label>
        <input
          id="filter-since"
          name="since"
          type="datetime-local"
          defaultValue={localInput(filters.since)}
        />
      </div>
      <div class="field check">
        <input id="filter-overdue" name="overdue" type="checkbox" defaultChecked={filters.overdue === true} />
        <label for="filter-overdue">Overdue only</label>
      </div>
      <div class="field actions">
        <button type="submit">Apply filters</button>
        <Link to={{ page: 'jobs', filters: {} }}>Clear</Link>
      </div>
    </form>
  );
}

function Counts(props: { counts: JobCounts | undefined; filters: JobFilters }) {
  const { counts, filters } = props;
  if (!counts) return null;
  return (
    <section aria-labelledby="counts-heading" class="counts">
      <h2 id="counts-heading" class="visually-hidden">
        Jobs per state
      </h2>
      <ul>
        <li>
          <Link to={{ page: 'jobs', filters: { ...filters, state: undefined } }} current={!filters.state}>
            <span class="count">{counts.total}</span> all
          </Link>
        </li>
        {STATE_NAMES.map((state) => (
          <li key={state}>
            <Link
              to={{ page: 'jobs', filters: { ...filters, state } }}
              current={filters.state === state}
              class={`state-${state.toLowerCase()}`}
            >
              <span class="count" data-state={state}>
                {counts.states[state] ?? 0}
              </span>{' '}
              {state.toLowerCase()}
            </Link>
          </li>
        ))}
      </ul>
    </section>
  );
}

function FindJob() {
  const [value, setValue] = useState('');
  const [error, setError] = useState<unknown>();
  return (
    <form
      class="find"
      aria-label="Find a job by uuid"
      onSubmit={(event) => {
        event.preventDefault();
        const uuid = value.trim();
        if (!UUID_SEARCH.test(uuid)) {
          setError(new Error('A job uuid is hexadecimal digits and dashes, e.g. 107e2f0a-...'));
          return;
        }
        setError(undefined);
        navigate({ page: 'job', uuid: uuid.toLowerCase() });
      }}
    >
      <label for="find-uuid">Job uuid</label>
      <input
        id="find-uuid"
        type="search"
        spellcheck={false}
        autocomplete="off"
        value={value}
        onInput={(event) => setValue(event.currentTarget.value)}
      />
      <button type="submit">Open job</button>
      <ErrorNote error={error} />
    </form>
  );
}

/** The jobs list: filters, counts per state, one page at a time as the API pages (keyset). */
export function JobsPage(props: { client: PipelineJobsClient; filters: JobFilters }) {
  const { client, filters } = props;
  const [pipelines, setPipelines] = useState<PipelineRecord[]>([]);
  const [counts, setCounts] = useState<JobCounts>();
  const [pages, setPages] = useState<Page<JobDocument, string>[]>([]);
  const [index, setIndex] = useState(0);
  const [error, setError] = useState<unknown>();
  const [loading, setLoading] = useState(true);
  const iterator = useRef<AsyncGenerator<Page<JobDocument, string>> | undefined>(undefined);
  const key = useMemo(() => JSON.stringify(filters), [filters]);

  useEffect(() => {
    client.pipelines
      .list({ limit: 200 })
      .pages()
      .next()
      .then((first) => setPipelines(first.done ? [] : first.value.items))
      .catch(() => undefined);
  }, [client]);

  useEffect(() => {
    let live = true;
    setError(undefined);
    setPages([]);
    setIndex(0);
    setLoading(true);
    const query = {
      state: filters.state as JobDocument['state'] | undefined,
      pipeline_uuid: filters.pipeline,
      updated_since: filters.since,
      limit: PAGE_SIZE,
      ...(filters.overdue ? { overdue: true } : {}),
    };
    const pager = client.jobs.list(query).pages();
    iterator.current = pager;
    pager
      .next()
      .then((first) => {
        if (live && !first.done) setPages([first.value]);
      })
      .catch((failure) => live && setError(failure))
      .finally(() => live && setLoading(false));
    jobCounts(client, {
      pipeline_uuid: filters.pipeline,
      updated_since: filters.since,
      ...(filters.overdue ? { overdue: true as const } : {}),
    }).then(
      (answer) => live && setCounts(answer),
      () => live && setCounts(undefined),
    );
    return () => {
      live = false;
    };
  }, [client, key]);

  const page = pages[index];
  const next = async () => {
    if (index + 1 < pages.length) return setIndex(index + 1);
    const pager = iterator.current;
    if (!pager) return;
    setLoading(true);
    try {
      const more = await pager.next();
      if (!more.done) {
        setPages([...pages, more.value]);
        setIndex(index + 1);
      }
    } catch (failure) {
      setError(failure);
    } finally {
      setLoading(false);
    }
  };

  return (
    <>
      <h1>Jobs</h1>
      <FindJob />
      <Counts counts={counts} filters={filters} />
      <Filters filters={filters} pipelines={pipelines} />
      <ErrorNote error={error} />
      <section aria-labelledby="jobs-heading">
        <h2 id="jobs-heading" class="visually-hidden">
          Matching jobs
        </h2>
        <p class="status" aria-live="polite">
          {loading
            ? 'Loading...'
            : page
              ? `Page ${index + 1}: ${page.items.length} job${page.items.length === 1 ? '' : 's'}, most recently updated first`
              : ''}
        </p>
        {page && <JobTable jobs={page.items} pipelines={pipelines} />}
        <div class="pager">
          <button type="button" disabled={index === 0 || loading} onClick={() => setIndex(index - 1)}>
            Previous page
          </button>
          <button
            type="button"
            disabled={loading || !page || page.next === null || page.items.length === 0}
            onClick={next}
          >
            Next page
          </button>
        </div>
      </section>
    </>
  );
}
