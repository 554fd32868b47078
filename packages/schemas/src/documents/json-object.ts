/** A JSON object of unknown shape (event data, job parameters). */
export type JsonObject = { [key: string]: unknown };
