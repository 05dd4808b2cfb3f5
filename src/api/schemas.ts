// Schema pieces every noun of the management API uses.
import { z } from 'zod';

/** A record's id in a path: what the store generated (randomId), or a client id; never empty, never huge. */
export const resourceId = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9._~:-]+$/, 'not an id')
  .describe('The id, as the API gave it.');

/** A time in answers: RFC 3339 in UTC with milliseconds (`2026-05-01T12:00:00.000Z`). */
export const timestamp = z.iso.datetime();

export const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * A PATCH body: the fields to change, each optional, nothing else (an unknown field is refused: a typo must not pass
 * silently), and at least one of them.
 */
export function patchOf<Shape extends z.ZodRawShape>(shape: Shape) {
  return z
    .strictObject(shape)
    .partial()
    .refine((body) => Object.values(body).some((value) => value !== undefined), { error: 'give at least one field to change' })
    .meta({ minProperties: 1 });
}
