import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { JobUuid, MessageEventName } from '@pipelinejobs/core';
import { applyEvent, type Database, type EventInput, openDatabase } from '@pipelinejobs/storage';
import express from 'express';

/**
 * A reference floor: POST /messages with `{uuid, name}` applied by storage's `applyEvent` (the
 * Manager's one-statement transition, the same SQL), and nothing else: no authentication, no
 * validation, no logging, no metrics. `node` serves it with node:http, `express` with Express 5
 * and its JSON body parser. Not part of the product: it says what the Manager's own stack costs
 * at the least, so that the Manager is measured against it. Run by floor-process.ts.
 */

type Floor = 'node' | 'express';

const ACTOR = { kind: 'api_key', id: 'bench-floor' } as const;
const allow = () => {};

function eventOf(body: unknown): EventInput {
  const { uuid, name } = body as { uuid: string; name: string };
  return { jobUuid: uuid as JobUuid, name: name as MessageEventName, source: 'json', actor: ACTOR };
}

function nodeFloor(db: Database) {
  return createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      applyEvent(db, eventOf(JSON.parse(Buffer.concat(chunks).toString('utf8'))), allow).then(
        ({ outcome }) => {
          const text = JSON.stringify(outcome);
          res.writeHead(200, {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(text),
          });
          res.end(text);
        },
        (error: unknown) => {
          res.writeHead(500);
          res.end(String(error));
        },
      );
    });
  });
}

function expressFloor(db: Database) {
  const app = express();
  app.use(express.json());
  app.post('/messages', async (req, res) => {
    const { outcome } = await applyEvent(db, eventOf(req.body), allow);
    res.json(outcome);
  });
  return createServer(app);
}

async function main(): Promise<void> {
  const floor = process.argv[2] as Floor;
  const url = process.env.DATABASE_URL;
  if ((floor !== 'node' && floor !== 'express') || !url) {
    throw new Error('usage: DATABASE_URL=... POOL_SIZE=8 floor-server.ts node|express');
  }
  const db = await openDatabase({ url, poolSize: Number(process.env.POOL_SIZE ?? 8) }, { migrate: false });
  const server = floor === 'node' ? nodeFloor(db) : expressFloor(db);
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    process.stdout.write(`floor ${floor} listening on http://127.0.0.1:${port}\n`);
  });
  process.once('SIGTERM', () => {
    server.close();
    void db.close().then(() => process.exit(0));
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`floor failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
