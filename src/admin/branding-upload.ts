// The Branding form's body (issue 25): multipart/form-data, since it carries a logo and a favicon; parsed by multer
// into memory, bounded (two files of at most MAX_IMAGE_BYTES, a few small fields, the stylesheet's field a little
// above its own cap so that the rules, not the parser, say it is too long), and only for an administrator
// (requireAdmin runs first). The CSRF token is then checked as on every admin form. A form posted url-encoded (the
// recent sign-in page's, or a browser without the file inputs) is read as every other admin form is.
// A body the parser refuses (a file too large, an unexpected file) becomes BrandingUploadRefused, which the screen
// shows at its field (branding.ts); nothing is written.
import type { NextFunction, Request, Response } from 'express';
import multer from 'multer';
import { MAX_BRAND_CSS_BYTES } from '../branding/brand-config.js';
import { MAX_IMAGE_BYTES } from '../branding/brand-image.js';
import { ValidationError } from '../errors.js';
import { parseForm } from '../http/middleware/parse-form.js';
import { checkAdminCsrf } from './csrf.js';

export const BRANDING_FILES = ['logo', 'favicon'] as const;

const upload = multer({
  storage: multer.memoryStorage(),
  limits: { fileSize: MAX_IMAGE_BYTES, files: BRANDING_FILES.length, fields: 20, parts: 24, fieldNameSize: 100, fieldSize: 2 * MAX_BRAND_CSS_BYTES },
}).fields(BRANDING_FILES.map((name) => ({ name, maxCount: 1 })));

/** The upload could not be read as the Branding form: shown at `field` (or the whole form). */
export class BrandingUploadRefused extends ValidationError {}

function refusalOf(error: unknown): unknown {
  if (!(error instanceof multer.MulterError)) return error;
  const field = error.field ?? '';
  switch (error.code) {
    case 'LIMIT_FILE_SIZE':
      return new BrandingUploadRefused(field, `The ${field} is larger than ${MAX_IMAGE_BYTES / 1024} KiB.`);
    case 'LIMIT_FIELD_VALUE':
      return field === 'css'
        ? new BrandingUploadRefused('css', `The extra CSS is longer than ${MAX_BRAND_CSS_BYTES / 1024} KiB.`)
        : new BrandingUploadRefused('form', 'A field of the form is too long.');
    case 'LIMIT_UNEXPECTED_FILE':
    case 'LIMIT_FILE_COUNT':
      return new BrandingUploadRefused('form', 'The form sent a file it does not take: only one logo and one favicon.');
    default:
      return new BrandingUploadRefused('form', 'The form could not be read. Reload the page and try again.');
  }
}

/** The uploaded files by field (empty when the form was url-encoded or no file was chosen). */
export function uploadedFiles(req: Request): Partial<Record<(typeof BRANDING_FILES)[number], Buffer>> {
  const files = (req.files ?? {}) as Record<string, Express.Multer.File[] | undefined>;
  const found: Partial<Record<(typeof BRANDING_FILES)[number], Buffer>> = {};
  for (const name of BRANDING_FILES) {
    const file = files[name]?.[0];
    if (file) found[name] = file.buffer;
  }
  return found;
}

/** Parses the Branding form (multipart or url-encoded), then checks its CSRF token. */
export function checkedBrandingForm(req: Request, res: Response, next: NextFunction): void {
  upload(req, res, (uploadError?: unknown) => {
    if (uploadError) {
      next(refusalOf(uploadError));
      return;
    }
    parseForm(req, res, (parseError?: unknown) => {
      if (parseError) {
        next(parseError);
        return;
      }
      try {
        checkAdminCsrf(req, res, next);
      } catch (refused) {
        next(refused);
      }
    });
  });
}
