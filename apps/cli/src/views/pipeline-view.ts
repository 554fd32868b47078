import type { PipelineRecord } from '@pipelinejobs/service';
import type { Style } from '../ansi.js';
import { renderDetails } from '../details.js';
import { relativeTime } from '../relative-time.js';
import { type Column, renderTable } from '../table.js';

const COLUMNS: Column<PipelineRecord>[] = [
  { header: 'UUID', cell: (p) => p.uuid },
  { header: 'ID', cell: (p) => p.id, color: () => 'bold' },
  { header: 'NAME', cell: (p) => p.name },
  { header: 'UPDATED', cell: (p) => relativeTime(p.updated) },
];

export function pipelineTable(pipelines: readonly PipelineRecord[], style: Style, width?: number): string {
  return renderTable(pipelines, COLUMNS, style, width);
}

export function pipelineDetails(pipeline: PipelineRecord, style: Style): string {
  const { id: _id, name: _name, ...rest } = pipeline.body;
  return [
    renderDetails(
      [
        ['uuid', pipeline.uuid],
        ['id', style.bold(pipeline.id)],
        ['name', pipeline.name],
        ['created', `${pipeline.created} (${relativeTime(pipeline.created)})`],
        ['updated', `${pipeline.updated} (${relativeTime(pipeline.updated)})`],
      ],
      style,
    ),
    '',
    style.dim('document (without id and name):'),
    JSON.stringify(rest, null, 2),
  ].join('\n');
}
