/** The folder of the built dashboard (index.html and assets/), made by `pnpm build`. */
export declare const distDir: string;
