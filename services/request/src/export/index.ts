/** Streamed exports of unified lists (`?all=true`, docs/export.md). */
export { exportRequested, streamExport, type ExportParts } from './unified-export.js';
