/**
 * The body parse alone, against JSON.parse: a typical ~300-byte event and a ~100 KB body, each from
 * bytes (strict UTF-8 decoding included). Best of 7 rounds, microseconds per parse. Seconds to run:
 * `pnpm build && pnpm --filter @pipelinejobs/bench exec tsx src/parse-json.ts`.
 */
import { decodeUtf8, parseJson } from '@pipelinejobs/core';

const event = JSON.stringify({
  uuid: '107b93f3-1eae-5e79-8a18-0a480f8aa3a5',
  name: 'update',
  token: '0123456789abcdef',
  data: {
    progress: 42.5,
    step: 'align reads',
    sample: 'r1bqu3k7',
    files: ['uploads/biofab/yeast-gates/r1bqu3k7/a.fastq', 'uploads/biofab/yeast-gates/r1bqu3k7/b.fastq'],
    ok: true,
    n: 17,
  },
});
const rows = Array.from({ length: 1150 }, (_, i) => ({
  id: i,
  name: `sample-${i}`,
  value: i * 1.25,
  tags: ['x', 'y'],
  ok: i % 2 === 0,
  note: 'café ü',
}));
const large = JSON.stringify({ data: { rows } });

const parsers: Record<string, (bytes: Buffer) => unknown> = {
  'JSON.parse': (bytes) => JSON.parse(bytes.toString('utf8')),
  'decodeUtf8 + parseJson': (bytes) => {
    const decoded = decodeUtf8(bytes);
    return decoded.ok ? parseJson(decoded.text) : undefined;
  },
};

for (const [label, text, runs] of [
  ['event', event, 200_000],
  ['large', large, 1_000],
] as const) {
  const bytes = Buffer.from(text);
  for (const [name, parse] of Object.entries(parsers)) {
    for (let i = 0; i < runs / 10; i++) parse(bytes);
    let best = Number.POSITIVE_INFINITY;
    for (let round = 0; round < 7; round++) {
      const started = process.hrtime.bigint();
      for (let i = 0; i < runs; i++) parse(bytes);
      best = Math.min(best, Number(process.hrtime.bigint() - started) / runs);
    }
    console.log(`${label} (${bytes.length} B) ${name}: ${(best / 1000).toFixed(2)} µs`);
  }
}
