export {
  cursorKey,
  openCursor,
  sealCursor,
  type CursorBinding,
  type CursorError,
  type CursorFailure,
  type CursorKey,
  type OpenedCursor,
} from './token.js';
