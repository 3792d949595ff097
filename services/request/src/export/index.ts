/** Streamed exports of unified lists (`?all=true`, docs/export.md). */
export { exportRequested, streamExport, type ExportParts } from './unified-export.js';
export { CONTROL_KEY } from './control-lines.js';
export { NdjsonWriter, type NdjsonWriterOptions } from './ndjson-writer.js';
