import type { z } from 'zod';
import { HrisEmployee } from './hris.js';

export { UnifiedBase } from './common.js';
export { HrisEmployee } from './hris.js';

/**
 * The schema of each unified resource, keyed `<category>/<resource>`. Normalized events are validated
 * against the schema of their type before they are published; a resource missing here is refused.
 */
export const UNIFIED_MODELS: Readonly<Record<string, z.ZodType>> = {
  'hris/employees': HrisEmployee,
};
