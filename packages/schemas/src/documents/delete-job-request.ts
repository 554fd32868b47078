/** schemas/delete-job.json: the delete action posted to /messages. */
export interface DeleteJobRequest {
  /** Job UUID (107...). */
  uuid: string;
  action: 'delete';
  /** Remove the job instead of hiding it. */
  force?: boolean;
  /** An admin token (deleting needs one). */
  token?: string;
}
