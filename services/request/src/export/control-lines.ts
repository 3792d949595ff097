import { toProblem, type SwitchyardError } from '@switchyard/contracts';

/**
 * The reserved key of an export's control lines. Record lines are unified records, which never have
 * it (their keys come from the unified models), so a reader tells the two apart by this key alone.
 */
export const CONTROL_KEY = '_switchyard';

/** Counts of an export so far. */
export interface ExportCounts {
  records: number;
  pages: number;
}

/** After every page that has a successor: what was sent, and the sealed cursor the next call resumes from. */
export const progressLine = (counts: ExportCounts, resumeCursor: string) => ({ [CONTROL_KEY]: { progress: { ...counts, resume_cursor: resumeCursor } } });

/** The last line of a complete export. */
export const doneLine = (counts: ExportCounts) => ({ [CONTROL_KEY]: { done: { ...counts } } });

/**
 * The last line of an export that stopped after its 200 was sent: the coded error (as the problem body
 * would have had it, minus the HTTP framing) and the cursor of the page that was not sent.
 */
export function errorLine(error: SwitchyardError, counts: ExportCounts, resumeCursor: string | null) {
  const { type: _type, title: _title, status: _status, ...problem } = toProblem(error);
  return { [CONTROL_KEY]: { error: { ...problem, ...counts }, resume_cursor: resumeCursor } };
}
