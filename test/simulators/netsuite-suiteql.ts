/** One SuiteQL table of the simulator: its rows and SuiteQL column name (lower case) → row field. */
export interface SuiteQlTable {
  rows: () => Iterable<Record<string, unknown>>;
  columns: Record<string, string>;
}

/**
 * A SuiteQL subset: `SELECT col | TO_CHAR(col, 'fmt') [AS alias] | BUILTIN.DF(col) AS alias | 'text' AS alias, … FROM <table> [WHERE col op literal
 * [AND …]] [ORDER BY col [ASC|DESC]]`; literals may be `TO_TIMESTAMP('…', '…')`, `TO_DATE`, quoted text or
 * numbers. As SuiteQL does, values come back as strings, dates in the user's format (M/D/YYYY) unless
 * formatted, booleans as `T`/`F`, references as their internal id (`BUILTIN.DF`: their display name), and empty values are left out.
 * Returns the error text on an unsupported query.
 */
export function suiteql(q: string, tables: Record<string, SuiteQlTable>): Array<Record<string, unknown>> | string {
  const m = /^\s*SELECT\s+(.+?)\s+FROM\s+(\w+)(?:\s+WHERE\s+(.+?))?(?:\s+ORDER\s+BY\s+(\w+)(?:\s+(ASC|DESC))?)?\s*$/is.exec(q);
  if (!m) return 'Invalid or unsupported search.';
  const tableName = m[2]!.toLowerCase();
  const table = tables[tableName];
  if (!table) return `Record '${m[2]}' was not found.`;
  const COLUMNS = table.columns;
  const missing = (col: string) => `Field '${col}' for record '${tableName}' was not found. Reason: NOT_EXPOSED - Not available for channel SEARCH`;
  const select: Array<{ out: string; col: string; fmt?: string; literal?: string; display?: boolean }> = [];
  for (const item of m[1]!.split(/,(?![^(]*\))/).map((s) => s.trim())) {
    const literal = /^'([^']*)'\s+AS\s+(\w+)$/i.exec(item);
    if (literal) {
      select.push({ out: literal[2]!.toLowerCase(), col: '', literal: literal[1]! });
      continue;
    }
    const df = /^BUILTIN\.DF\(\s*(\w+)\s*\)\s+AS\s+(\w+)$/i.exec(item);
    if (df) {
      const col = df[1]!.toLowerCase();
      if (!COLUMNS[col]) return missing(col);
      select.push({ out: df[2]!.toLowerCase(), col, display: true });
      continue;
    }
    const f = /^(?:TO_CHAR\(\s*(\w+)\s*,\s*'([^']*)'\s*\)|(\w+))(?:\s+AS\s+(\w+))?$/i.exec(item);
    const col = (f?.[1] ?? f?.[3])?.toLowerCase();
    if (!f || !col) return 'Invalid or unsupported search.';
    if (!COLUMNS[col]) return missing(col);
    select.push({ out: (f[4] ?? col).toLowerCase(), col, ...(f[2] ? { fmt: f[2] } : {}) });
  }
  type Row = Record<string, unknown>;
  const tests: Array<(x: Row) => boolean> = [];
  for (const clause of m[3] ? m[3].split(/\s+AND\s+/i) : []) {
    const w = /^(\w+)\s*(<>|!=|>=|<=|=|>|<)\s*(?:TO_(?:TIMESTAMP|DATE)\(\s*'([^']*)'[^)]*\)|'([^']*)'|(\d+))$/i.exec(clause.trim());
    const col = w?.[1]?.toLowerCase();
    if (!w || !col) return 'Invalid or unsupported search.';
    const field = COLUMNS[col];
    if (!field) return missing(col);
    const isDate = /date/i.test(field);
    const key = (v: unknown) => {
      if (v === undefined) return undefined;
      if (isDate) return Date.parse(String(v).replace(' ', 'T').replace(/(\d\d:\d\d(:\d\d)?)$/, '$1Z'));
      if (field === 'id') return Number(v);
      return String(isRef(v) ? v.id : v);
    };
    const want = key(w[3] ?? w[4] ?? w[5]);
    const op = w[2] === '<>' ? '!=' : w[2]!;
    tests.push((x) => {
      const have = key(x[field]);
      if (have === undefined || want === undefined) return false;
      return op === '=' ? have === want : op === '!=' ? have !== want : op === '>' ? have > want : op === '>=' ? have >= want : op === '<' ? have < want : have <= want;
    });
  }
  const sortCol = m[4]?.toLowerCase() ?? 'id';
  const sortField = COLUMNS[sortCol];
  if (!sortField) return missing(sortCol);
  const dir = m[5]?.toUpperCase() === 'DESC' ? -1 : 1;
  const sortKey = (x: Row) => (sortField === 'id' ? Number(x.id) : String(x[sortField] ?? ''));
  return [...table.rows()]
    .filter((x) => tests.every((t) => t(x)))
    .sort((a, b) => dir * (sortKey(a) < sortKey(b) ? -1 : sortKey(a) > sortKey(b) ? 1 : 0))
    .map((x) => {
      const row: Record<string, unknown> = { links: [] };
      for (const { out, col, fmt, literal, display } of select) {
        if (literal !== undefined) {
          row[out] = literal;
          continue;
        }
        const value = x[COLUMNS[col]!];
        if (value === undefined || value === null) continue;
        if (display) {
          row[out] = isRef(value) ? value.refName : typeof value === 'boolean' ? (value ? 'Yes' : 'No') : String(value);
          continue;
        }
        row[out] = typeof value === 'boolean' ? (value ? 'T' : 'F') : isRef(value) ? value.id : col.includes('date') ? formatDate(String(value), fmt) : String(value);
      }
      return row;
    });
}

const isRef = (v: unknown): v is { id: string; refName?: string } => typeof v === 'object' && v !== null && typeof (v as { id?: unknown }).id === 'string';

/** `TO_CHAR` format tokens (YYYY MM DD HH24 MI SS and "quoted" text); without one, NetSuite's default M/D/YYYY. */
function formatDate(isoValue: string, fmt: string | undefined): string {
  const d = new Date(isoValue);
  if (!fmt) return `${d.getUTCMonth() + 1}/${d.getUTCDate()}/${d.getUTCFullYear()}`;
  const two = (n: number) => String(n).padStart(2, '0');
  const parts: Record<string, string> = {
    YYYY: String(d.getUTCFullYear()), MM: two(d.getUTCMonth() + 1), DD: two(d.getUTCDate()), HH24: two(d.getUTCHours()), MI: two(d.getUTCMinutes()), SS: two(d.getUTCSeconds()),
  };
  return fmt.replace(/YYYY|MM|DD|HH24|MI|SS|"([^"]*)"/g, (token, literal: string | undefined) => literal ?? parts[token] ?? token);
}
