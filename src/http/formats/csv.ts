import { stringify } from 'csv-stringify/sync';
import type { AnswerBody } from './body';
import { toJsv } from './jsv';

/**
 * ServiceStack.Text CSV of a single DTO: a header row and one row, CRLF after each, booleans as
 * True/False, a field quoted when it holds `"`, `,` or a line break or starts with `[` or `{`.
 * An ErrorResponse is one `ResponseStatus` column holding the JSV of the status.
 */
export function toCsv(body: AnswerBody): string {
  const row: Record<string, unknown> =
    body.kind === 'response'
      ? { Message: body.dto.Message ?? '', Success: body.dto.Success }
      : { ResponseStatus: toJsv(body.dto.ResponseStatus) };
  return stringify([row], {
    header: true,
    record_delimiter: 'windows',
    quoted_match: /^[[{]/,
    cast: { boolean: (value) => (value ? 'True' : 'False') },
  });
}
