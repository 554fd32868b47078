import type { PipelineUuid } from '@pipelinejobs/core';
import {
  getPipeline,
  listPipelines,
  PAGE_LIMITS,
  type PipelineRecord,
  pipelineUuidInput,
  registerPipeline,
} from '@pipelinejobs/service';
import type { Command } from 'commander';
import type { Invocation } from '../invocation.js';
import { readJsonFile } from '../json-input.js';
import { withServices, withServicesChanging } from '../session.js';
import { pipelineDetails, pipelineTable } from '../views/pipeline-view.js';
import { registerShow } from './show-command.js';

/** `pipelines add|list|show`. */
export function registerPipelines(program: Command, invocation: Invocation): void {
  const pipelines = program.command('pipelines').description('register and inspect pipelines');

  pipelines
    .command('add')
    .description('register a pipeline from a JSON document (registering the same pipeline again is a no-op)')
    .argument('<file.json>', "the pipeline document (schemas/pipeline.json); '-' reads stdin")
    .action(async (file: string, _options: unknown, command: Command) => {
      const document = (await readJsonFile(file, invocation.io)).value;
      const change = { what: 'the pipeline', check: 'pipelinejobs pipelines list' };
      await withServicesChanging(invocation, command, change, async ({ services, out, operator }) => {
        const { pipeline, created } = await registerPipeline(services, operator, document);
        out.result({ ...pipeline, created }, () => {
          const verb = created ? 'Registered pipeline' : 'Pipeline already registered:';
          out.line(`${verb} ${out.style.bold(pipeline.uuid)} (${pipeline.id}, ${pipeline.name})`);
        });
      });
    });

  pipelines
    .command('list')
    .description('list the registered pipelines')
    .action(async (_options: unknown, command: Command) => {
      await withServices(invocation, command, async ({ services, out, operator }) => {
        // Pipelines are few; every page is read so the list is complete.
        const items: PipelineRecord[] = [];
        let before: PipelineUuid | undefined;
        do {
          const page = await listPipelines(services, operator, { limit: PAGE_LIMITS.pipelines.max, before });
          items.push(...page.items);
          before = page.next === null ? undefined : pipelineUuidInput(page.next);
        } while (before !== undefined);
        out.result({ items, next: null }, () => {
          out.line(items.length === 0 ? 'No pipelines.' : pipelineTable(items, out.style, out.width));
        });
      });
    });

  registerShow(pipelines, invocation, {
    description: 'show one pipeline and its document',
    uuidHelp: 'the pipeline UUID (106...)',
    parse: pipelineUuidInput,
    read: ({ services, operator }, id) => getPipeline(services, operator, id),
    details: pipelineDetails,
  });
}
