import { createClient, type PipelineJobsClient, ProblemError } from '@pipelinejobs/client';
import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useMemo, useState } from 'preact/hooks';
import { subscriptions } from './api.js';
import { JobPage } from './job-page.js';
import { JobsPage } from './jobs-page.js';
import { PipelinePage, PipelinesPage } from './pipelines-page.js';
import { BASE, hrefOf, parseRoute, type Route } from './route.js';
import { forgetCredentials, loadCredentials, type Saved, saveCredentials } from './session.js';
import { SubscriptionsPage } from './subscriptions-page.js';

/** What a failed call says to a person: the problem's detail when the Manager gave one. */
function messageOf(error: unknown): string {
  if (error instanceof ProblemError) return error.detail || error.title || error.message;
  return error instanceof Error ? error.message : String(error);
}

export function ErrorNote({ error }: { error: unknown }) {
  if (error === undefined) return null;
  return (
    <p class="error" role="alert">
      {messageOf(error)}
    </p>
  );
}

/** A link inside the dashboard: followed without reloading the page. */
export function Link(props: { to: Route; children: ComponentChildren; class?: string; current?: boolean }) {
  const href = hrefOf(props.to);
  return (
    <a
      href={href}
      class={props.class}
      aria-current={props.current ? 'page' : undefined}
      onClick={(event) => {
        if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey)
          return;
        event.preventDefault();
        navigate(props.to);
      }}
    >
      {props.children}
    </a>
  );
}

export function navigate(route: Route, replace = false): void {
  const href = hrefOf(route);
  if (replace) history.replaceState(null, '', href);
  else history.pushState(null, '', href);
  window.dispatchEvent(new Event('pj:navigate'));
}

/** Which page a route shows, its filters aside. */
function pageOf(route: Route): string {
  return 'uuid' in route ? `${route.page} ${route.uuid}` : route.page;
}

function currentRoute(): Route {
  return parseRoute(location.pathname, location.search);
}

/** A nonce in the address (`/ui/?x-nonce=...`) signs in, and leaves the address at once. */
function nonceFromAddress(): Saved | undefined {
  const query = new URLSearchParams(location.search);
  const nonce = query.get('x-nonce');
  if (!nonce) return undefined;
  query.delete('x-nonce');
  const rest = query.toString();
  history.replaceState(null, '', `${location.pathname}${rest ? `?${rest}` : ''}`);
  return { nonce };
}

function SignIn(props: { onSignedIn: (saved: Saved) => void; refused: boolean }) {
  const [kind, setKind] = useState<'apiKey' | 'nonce'>('apiKey');
  const [value, setValue] = useState('');
  const [error, setError] = useState<unknown>(
    props.refused
      ? new Error('The Manager no longer accepts your credential (revoked or expired): sign in again')
      : undefined,
  );
  const [busy, setBusy] = useState(false);
  return (
    <main id="main" class="signin">
      <h1>Sign in</h1>
      <p>The dashboard reads the Manager's API with your credential; it is kept for this browser tab only.</p>
      <form
        onSubmit={async (event) => {
          event.preventDefault();
          const credential = value.trim();
          if (!credential) {
            setError(new Error(kind === 'apiKey' ? 'Enter an API key (pjm_...)' : 'Enter a nonce'));
            return;
          }
          const saved: Saved = kind === 'apiKey' ? { apiKey: credential } : { nonce: credential };
          setBusy(true);
          setError(undefined);
          try {
            // An API key is checked at once; a nonce may be scoped to one job, so it is not.
            if (kind === 'apiKey') await clientFor(saved).fsm();
            props.onSignedIn(saved);
          } catch (failure) {
            setError(failure);
          } finally {
            setBusy(false);
          }
        }}
      >
        <fieldset>
          <legend>Credential</legend>
          <label class="inline">
            <input type="radio" name="kind" checked={kind === 'apiKey'} onChange={() => setKind('apiKey')} />{' '}
            API key
          </label>
          <label class="inline">
            <input type="radio" name="kind" checked={kind === 'nonce'} onChange={() => setKind('nonce')} />{' '}
            Nonce
          </label>
        </fieldset>
        <label for="credential">{kind === 'apiKey' ? 'API key' : 'Nonce'}</label>
        <input
          id="credential"
          name="credential"
          type="password"
          autocomplete="off"
          value={value}
          onInput={(event) => setValue(event.currentTarget.value)}
        />
        <button type="submit" disabled={busy}>
          Sign in
        </button>
        <ErrorNote error={error} />
      </form>
    </main>
  );
}

/** A client with this credential; `onRefused` is called when the Manager answers it with a 401. */
function clientFor(saved: Saved, onRefused?: () => void): PipelineJobsClient {
  const watched: typeof fetch = async (input, init) => {
    const response = await fetch(input, init);
    if (response.status === 401) onRefused?.();
    return response;
  };
  return createClient({
    baseUrl: location.origin,
    credentials: saved,
    retry: { attempts: 3 },
    ...(onRefused ? { fetch: watched } : {}),
  });
}

export function App() {
  const [route, setRoute] = useState<Route>(currentRoute);
  const [saved, setSaved] = useState<Saved | undefined>(() => {
    const fromAddress = nonceFromAddress();
    if (fromAddress) saveCredentials(fromAddress);
    return fromAddress ?? loadCredentials();
  });
  const [admin, setAdmin] = useState(false);
  const [refused, setRefused] = useState(false);
  // A credential revoked or expired mid-session: forgotten, and the sign-in page says why.
  const client = useMemo(
    () =>
      saved
        ? clientFor(saved, () => {
            forgetCredentials();
            setRefused(true);
            setSaved(undefined);
          })
        : undefined,
    [saved],
  );

  useEffect(() => {
    let shown = pageOf(currentRoute());
    const changed = () => {
      const next = currentRoute();
      setRoute(next);
      // Another page: the link followed is gone with the old one, so the focus goes to the new
      // page's content, where a screen reader starts reading (not back to the top). New filters
      // on the same list keep the focus where it was.
      if (pageOf(next) !== shown) document.getElementById('main')?.focus();
      shown = pageOf(next);
    };
    window.addEventListener('popstate', changed);
    window.addEventListener('pj:navigate', changed);
    return () => {
      window.removeEventListener('popstate', changed);
      window.removeEventListener('pj:navigate', changed);
    };
  }, []);

  // Only an admin key may read subscriptions: the page is offered when that read succeeds.
  useEffect(() => {
    setAdmin(false);
    if (!client || !saved || !('apiKey' in saved)) return;
    let live = true;
    subscriptions(client).then(
      () => live && setAdmin(true),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [client, saved]);

  useEffect(() => {
    const titles: Record<Route['page'], string> = {
      jobs: 'Jobs',
      job: 'Job',
      pipelines: 'Pipelines',
      pipeline: 'Pipeline',
      subscriptions: 'Subscriptions',
      'not-found': 'Not found',
    };
    document.title = `${saved ? titles[route.page] : 'Sign in'} - PipelineJobs Manager`;
  }, [route, saved]);

  const signOut = useCallback(() => {
    forgetCredentials();
    setRefused(false);
    setSaved(undefined);
  }, []);

  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <a class="brand" href={`${BASE}/`}>
          PipelineJobs Manager
        </a>
        {client && (
          <nav aria-label="Main">
            <ul>
              <li>
                <Link
                  to={{ page: 'jobs', filters: {} }}
                  current={route.page === 'jobs' || route.page === 'job'}
                >
                  Jobs
                </Link>
              </li>
              <li>
                <Link
                  to={{ page: 'pipelines' }}
                  current={route.page === 'pipelines' || route.page === 'pipeline'}
                >
                  Pipelines
                </Link>
              </li>
              {admin && (
                <li>
                  <Link to={{ page: 'subscriptions' }} current={route.page === 'subscriptions'}>
                    Subscriptions
                  </Link>
                </li>
              )}
              <li>
                <button type="button" class="link" onClick={signOut}>
                  Sign out
                </button>
              </li>
            </ul>
          </nav>
        )}
      </header>
      {client ? (
        <main id="main" tabIndex={-1}>
          <Page route={route} client={client} admin={admin} />
        </main>
      ) : (
        <SignIn
          refused={refused}
          onSignedIn={(next) => {
            setRefused(false);
            saveCredentials(next);
            setSaved(next);
          }}
        />
      )}
    </>
  );
}

function Page(props: { route: Route; client: PipelineJobsClient; admin: boolean }) {
  const { route, client } = props;
  switch (route.page) {
    case 'jobs':
      return <JobsPage client={client} filters={route.filters} />;
    case 'job':
      return <JobPage key={route.uuid} client={client} uuid={route.uuid} />;
    case 'pipelines':
      return <PipelinesPage client={client} />;
    case 'pipeline':
      return <PipelinePage key={route.uuid} client={client} uuid={route.uuid} />;
    case 'subscriptions':
      return <SubscriptionsPage client={client} />;
    case 'not-found':
      return (
        <>
          <h1>Not found</h1>
          <p>
            Nothing at {route.path}. <Link to={{ page: 'jobs', filters: {} }}>See the jobs</Link>.
          </p>
        </>
      );
  }
}
