import { fileURLToPath } from 'node:url';

/** The folder of the built dashboard (index.html and assets/), made by `pnpm build`. */
export const distDir = fileURLToPath(new URL('./dist/', import.meta.url));
