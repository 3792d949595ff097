/** One line of an export: a unified record, or a control line under `_switchyard`. */
export type ExportLine = Record<string, any>;

/** What an export call answered: status and headers, then either its NDJSON lines or a problem body. */
export interface ExportAnswer {
  status: number;
  headers: Headers;
  /** The parsed lines, in order (an NDJSON answer). */
  lines: ExportLine[];
  /** The problem body (a problem+json answer). */
  problem?: any;
}

/**
 * Reads `GET /unified/…?all=true` as a customer would: line by line while it streams. `onLine` sees
 * each line as it arrives and may answer `'stop'` to abort the request there (the client leaving).
 */
export async function readExport(url: string, headers: Record<string, string>, onLine?: (line: ExportLine, index: number) => 'stop' | void): Promise<ExportAnswer> {
  const controller = new AbortController();
  const response = await fetch(url, { headers, signal: controller.signal });
  if (!(response.headers.get('content-type') ?? '').includes('application/x-ndjson')) {
    const text = await response.text();
    return { status: response.status, headers: response.headers, lines: [], problem: text ? JSON.parse(text) : undefined };
  }
  const lines: ExportLine[] = [];
  const decoder = new TextDecoder();
  let rest = '';
  try {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      rest += decoder.decode(chunk, { stream: true });
      let end: number;
      while ((end = rest.indexOf('\n')) >= 0) {
        const line = JSON.parse(rest.slice(0, end)) as ExportLine;
        rest = rest.slice(end + 1);
        lines.push(line);
        if (onLine?.(line, lines.length - 1) === 'stop') {
          controller.abort();
          return { status: response.status, headers: response.headers, lines };
        }
      }
    }
  } catch (error) {
    if (!controller.signal.aborted) throw error;
  }
  if (controller.signal.aborted) return { status: response.status, headers: response.headers, lines };
  if (rest.trim() !== '') throw new Error(`export ended inside a line: ${rest.slice(0, 80)}`);
  return { status: response.status, headers: response.headers, lines };
}

/** The record lines of an export (everything that is not a control line). */
export const recordsOf = (lines: ExportLine[]) => lines.filter((line) => !('_switchyard' in line));

/** The control lines of an export. */
export const controlsOf = (lines: ExportLine[]) => lines.filter((line) => '_switchyard' in line).map((line) => line._switchyard);
