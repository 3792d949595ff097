/**
 * SAP SuccessFactors' effective-dated `EmpJob` entity set, OData v2 (providers.md §21.12, SAP KBAs 2920680,
 * 2554717, 2430737). What the KBAs say and this simulates:
 * - A job history is a list of segments per user, each keyed by `(userId, startDate, seqNumber)`; a
 *   segment ends the day before the next one starts (the last one on 9999-12-31).
 * - `$filter=lastModifiedDateTime gt/le datetimeoffset'…'` is evaluated across **all** segments of a user:
 *   a user matches when any of its segments changed in the window.
 * - Which segments come back is decided by `asOfDate`, or `fromDate`/`toDate`; with none of them the
 *   default is as of today. So without a date range a future-dated change matches the filter but the
 *   answer is today's unchanged segment (the change is missed), and on its start date the answer changes
 *   with no modification in any window (missed again). With `fromDate=1900-01-01&toDate=9999-12-31`
 *   every segment comes back and each new or changed one is seen once.
 * - One segment is read by its key, `EmpJob(seqNumber=1L,startDate=datetime'…',userId='…')` (OData v2 key
 *   predicate, text literals with `''` for a quote).
 * The exact interplay of a window and a date range is this simulator's reading of the KBAs (S).
 */
export interface SfEmpJob {
  userId: string;
  /** `/Date(ms)/`, midnight UTC. */
  startDate: string;
  /** Derived: the day before the user's next segment, else 9999-12-31. */
  endDate: string;
  seqNumber: number;
  jobTitle: string;
  employmentType: string | null;
  lastModifiedDateTime: string;
}

const END_OF_TIME = Date.UTC(9999, 11, 31);
const DAY = 86_400_000;
const millis = (odataDate: string) => Number(/-?\d+/.exec(odataDate)?.[0]);
const odataDate = (ms: number) => `/Date(${ms})/`;

/** The job histories of a simulator: `upsert` stamps `lastModifiedDateTime` like the User entity set. */
export class EmpJobs {
  readonly #segments: Array<Omit<SfEmpJob, 'endDate'>> = [];
  /** Every EmpJob list call's query (`$filter`, `fromDate`, `toDate`, `asOfDate`), in order. */
  readonly calls: Array<Record<string, string>> = [];

  /** Adds or changes the segment of `userId` starting on `startDate` (`YYYY-MM-DD`), stamped `stamp` (epoch ms). */
  upsert(segment: { userId: string; startDate: string; seqNumber?: number; jobTitle: string; employmentType?: string | null }, stamp: number): void {
    const start = Date.parse(`${segment.startDate}T00:00:00Z`);
    const seqNumber = segment.seqNumber ?? 1;
    const at = this.#segments.findIndex((s) => s.userId === segment.userId && millis(s.startDate) === start && s.seqNumber === seqNumber);
    const next = { userId: segment.userId, startDate: odataDate(start), seqNumber, jobTitle: segment.jobTitle, employmentType: segment.employmentType ?? null, lastModifiedDateTime: `/Date(${stamp}+0000)/` };
    if (at >= 0) this.#segments[at] = next;
    else this.#segments.push(next);
  }

  /**
   * Answers `GET /odata/v2/EmpJob`: users matching the window on any segment, then their segments that
   * overlap `[fromDate, toDate]` (or contain `asOfDate`, default today). `undefined` for a bad filter.
   */
  list(query: URLSearchParams, window: ((stamp: number) => boolean) | undefined, userId?: string): SfEmpJob[] | undefined {
    this.calls.push(Object.fromEntries(query));
    const day = (name: string) => (query.get(name) ? Date.parse(`${query.get(name)}T00:00:00Z`) : undefined);
    const today = Math.floor(Date.now() / DAY) * DAY;
    const asOf = day('asOfDate') ?? today;
    const from = day('fromDate') ?? (query.has('toDate') ? -Infinity : asOf);
    const to = day('toDate') ?? (query.has('fromDate') ? END_OF_TIME : asOf);
    if ([from, to].some((d) => Number.isNaN(d))) return undefined;
    const withEnd = this.#segments.map((s) => ({ ...s, endDate: odataDate(this.#endOf(s)) }));
    const users = new Set(withEnd.filter((s) => (!window || window(millis(s.lastModifiedDateTime))) && (userId === undefined || s.userId === userId)).map((s) => s.userId));
    return withEnd
      .filter((s) => users.has(s.userId) && millis(s.startDate) <= to && millis(s.endDate) >= from)
      .sort((a, b) => (a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : millis(a.startDate) - millis(b.startDate) || a.seqNumber - b.seqNumber));
  }

  /** The segment a key predicate names, with its end date; undefined when there is none. */
  get(key: { userId: string; startDate: number; seqNumber: number }): SfEmpJob | undefined {
    const found = this.#segments.find((s) => s.userId === key.userId && millis(s.startDate) === key.startDate && s.seqNumber === key.seqNumber);
    return found && { ...found, endDate: odataDate(this.#endOf(found)) };
  }

  #endOf(segment: Omit<SfEmpJob, 'endDate'>): number {
    const later = this.#segments.filter((s) => s.userId === segment.userId && millis(s.startDate) > millis(segment.startDate)).map((s) => millis(s.startDate));
    return later.length === 0 ? END_OF_TIME : Math.min(...later) - DAY;
  }
}
