// GET /branding/logo, /branding/favicon, /branding/theme.css (issue 25). PLACEHOLDER of the foundation; H5 builds it.
import express, { type Router } from 'express';
import type { BrandService } from './brand-service.js';

export function brandAssetRouter(_deps: { brands: BrandService }): Router {
  return express.Router();
}
