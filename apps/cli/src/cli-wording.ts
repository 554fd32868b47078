/**
 * The shared use cases word their refusals for HTTP callers (body fields, URL parameters,
 * routes). The CLI says the same thing in its own terms; a phrase not found is left as it is.
 */
const REWORDINGS: readonly [string, string][] = [
  ['pass `token` in the JSON body or as the `token` URL parameter', 'pass it with --token'],
  ['(POST /jobs)', '(`pipelinejobs jobs create`)'],
  ['register it first (POST /pipelines)', 'register it first (`pipelinejobs pipelines add`)'],
];

export function cliWording(message: string): string {
  let out = message;
  for (const [http, cli] of REWORDINGS) out = out.replaceAll(http, cli);
  return out;
}
