/** The processing levels of data products (schemas: `$defs/processingLevel`). */
export const PROCESSING_LEVELS = ['0', '1', '2', '3', 'Reference', 'User', 'Unknown'] as const;

export type ProcessingLevel = (typeof PROCESSING_LEVELS)[number];

/** Which files under the archive path a job generated (schemas: `$defs/archivePattern`). */
export interface ArchivePattern {
  level: ProcessingLevel;
  /** Regular expressions matched against file names. */
  patterns: string[];
  /** Job (107) or process (117) UUIDs. */
  generated_by?: string[];
  note?: string;
  fixity?: boolean;
}

/** Which files are products, derived from which files and using which references (schemas: `$defs/productPattern`). */
export interface ProductPattern {
  patterns: string[];
  /** File (105) UUIDs. */
  derived_from: string[];
  /** File (105) or reference (109) UUIDs. */
  derived_using: string[];
  generated_by?: string[];
  note?: string;
  fixity?: boolean;
}
