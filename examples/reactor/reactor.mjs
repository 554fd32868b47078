// A reactor as the SD2E ones were: it creates the job it runs, hands the job's Agave notification
// URLs to the platform, and reads the history back. Here the reactor also plays Agave: it posts
// to each notification URL what Agave would post (its job record, with the status in the URL).
// Settings (environment): PJM_URL, PJM_KEY (an API key of role agent), PJM_NONCE (a reporter nonce,
// the credential of the platform's posts), PIPELINE_UUID, and the Abaco ones when run as an actor
// (_abaco_actor_id, _abaco_execution_id); NICKNAME names the session (default a petname).
import {
  AGAVE_JOB_STATUS,
  createClient,
  ReactorManagedPipelineJob,
  reactorContextFromEnvironment,
} from '@pipelinejobs/client';

const setting = (name) => {
  const value = process.env[name];
  if (!value) {
    console.error(`Set ${name} (see README.md)`);
    process.exit(2);
  }
  return value;
};

const client = createClient({ baseUrl: setting('PJM_URL'), credentials: { apiKey: setting('PJM_KEY') } });
const context = { ...reactorContextFromEnvironment(process.env), nickname: process.env.NICKNAME };
const job = await new ReactorManagedPipelineJob(client, context, {
  pipeline: setting('PIPELINE_UUID'),
  data: { sample: process.env.SAMPLE ?? 'sample.uploads.tacc.20001', reactor: 'example' },
  nonce: setting('PJM_NONCE'),
}).setup();
console.log(`${job.created ? 'created' : 'found'} job ${job.uuid}: ${job.state}, archive ${job.archiveUri}`);

// What a reactor puts in its Agave job submission: archive where the Manager says, notify it.
const submission = {
  name: `tacobot-${job.job.session}`,
  appId: 'tacobot-0.1.0',
  archive: true,
  archiveSystem: job.archiveSystem,
  archivePath: job.archivePath,
  notifications: job.agaveNotifications(),
};

// Agave runs the job: a status it reaches is posted to the notification made for it, its
// ${JOB_STATUS} macro replaced.
async function agavePosts(status) {
  for (const notification of submission.notifications.filter((n) => n.event === status)) {
    const url = notification.url.replaceAll(AGAVE_JOB_STATUS, status);
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        id: '6874237679603805720-242ac11b-0001-007',
        owner: 'sd2eadm',
        appId: submission.appId,
        executionSystem: 'hpc-tacc-jetstream',
        archivePath: submission.archivePath,
        archiveSystem: submission.archiveSystem,
        status,
      }),
    });
    if (!response.ok) throw new Error(`the Manager refused the ${status} callback: ${await response.text()}`);
  }
}

for (const status of ['RUNNING', 'FINISHED']) {
  await agavePosts(status);
  await job.load();
  console.log(`Agave posted ${status}: the job is ${job.state}`);
}

const path = [];
for await (const event of job.history()) path.push(event.to);
console.log(`history: ${path.join(' -> ')}`);
