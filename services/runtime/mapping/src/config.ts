import { z } from 'zod';
import { optionalString } from '@switchyard/kernel';

/** Where provider definitions live; defaults to the repository's `mappings/`. */
export const CatalogEnv = z.object({
  SWITCHYARD_MAPPINGS_DIR: optionalString,
});
