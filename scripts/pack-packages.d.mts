export declare const PUBLISHED: readonly string[];
export declare function packPackages(outDir: string): string[];
