import { z } from 'zod';

/** Fields every unified model carries. */
export const UnifiedBase = z.object({
  /** Switchyard's stable id for the record: the same remote record always gets the same id. */
  id: z.string(),
  /** The provider's id for the record. */
  remote_id: z.string().min(1),
  /** Provider fields outside the unified model, by provider field name. */
  custom_fields: z.record(z.string(), z.unknown()).optional(),
  /** The provider's raw object, when asked for. */
  remote_data: z.unknown().optional(),
  remote_created_at: z.string().datetime({ offset: true }).nullish(),
  remote_updated_at: z.string().datetime({ offset: true }).nullish(),
});
