// What the providers screens (issue 23) share: their paths under the issuer's base path, the provider a path names,
// plain view models of providers (views/admin/providers/), the callback URL an administrator copies into the
// upstream, and rendering in the admin layout under the navigation's "Providers".
import type { Response } from 'express';
import type { SecretBox } from '../auth/secret-box.js';
import { NotFoundError } from '../errors.js';
import { buttonLabelOf } from '../federation/provider-settings.js';
import { routes } from '../http/routes.js';
import type { ProviderContext, ProviderView } from '../manage/providers.js';
import type { IdentityProviderRecord } from '../store/records.js';
import type { Store } from '../store/store.js';
import { manageContext, type AdminDependencies } from './context.js';
import { KIND_LABELS } from './provider-forms.js';
import { formatTime, renderAdmin } from './render.js';

/** The admin screens' dependencies, with the box that seals a provider's secret (the one the sign-in pages open). */
export interface ProviderDependencies extends AdminDependencies {
  secretBox: () => Promise<SecretBox>;
}

export function renderProviders(res: Response, view: string, page: { title: string; [field: string]: unknown }, status = 200): void {
  renderAdmin(res, `providers/${view}`, { ...page, section: 'providers' }, status);
}

export function providersPath(deps: AdminDependencies, suffix = ''): string {
  return `${deps.config.basePath}${routes.admin}/providers${suffix}`;
}

export function providerPath(deps: AdminDependencies, slug: string, suffix = ''): string {
  return providersPath(deps, `/${encodeURIComponent(slug)}${suffix}`);
}

/** The redirect URI registered at the upstream: exactly this, per provider (routes.federation). */
export function callbackUrl(deps: AdminDependencies, slug: string): string {
  return `${deps.config.issuer}${routes.federation}/${encodeURIComponent(slug)}/callback`;
}

/** The provider an admin URL names; an unknown slug is a plain 404. */
export async function providerBySlug(store: Store, slug: string | string[] | undefined): Promise<IdentityProviderRecord> {
  const provider = typeof slug === 'string' && slug !== '' ? await store.identityProviders.findBySlug(slug) : null;
  if (!provider) throw new NotFoundError('There is no such provider. It may have been deleted.');
  return provider;
}

/**
 * A stored provider as a row, without reading its settings: the delete page works even for a row whose settings no
 * longer parse (edited by hand), so that it can still be removed.
 */
export function recordRow(deps: AdminDependencies, provider: IdentityProviderRecord, linked: number) {
  const { settings: _settings, secret, ...rest } = provider;
  return providerRow(deps, { ...rest, allowedDomains: [...rest.allowedDomains], hasSecret: secret !== null, linked });
}

/** The shared rules' context, acting as this administrator from this address. */
export function providerContext(deps: ProviderDependencies, res: Response, ip: string | undefined): ProviderContext {
  return { ...manageContext(deps, res, ip), secretBox: deps.secretBox };
}

/** A provider as the screens show it: never its secret, only whether it has one. */
export function providerRow(deps: AdminDependencies, view: Omit<ProviderView, 'settings'>) {
  return {
    slug: view.slug,
    kind: view.kind,
    kindText: KIND_LABELS[view.kind],
    name: view.name,
    buttonLabel: buttonLabelOf(view),
    enabled: view.enabled,
    jit: view.jit,
    trustEmail: view.trustEmail,
    trustMfa: view.trustMfa,
    groupsMode: view.groupsMode,
    allowedDomains: view.allowedDomains,
    hasSecret: view.hasSecret,
    linked: view.linked,
    created: formatTime(view.createdAt),
    updated: formatTime(view.updatedAt),
    path: providerPath(deps, view.slug),
    callbackUrl: view.kind === 'ldap' ? null : callbackUrl(deps, view.slug),
  };
}
