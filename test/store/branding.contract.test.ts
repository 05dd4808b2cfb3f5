// Store contract: the admin "Branding" screen's saved brand (BrandingRepository, issue 25, migration 0016). One row at
// most; each null field means "as configured"; images come back byte for byte, as Buffers, whichever connection
// reads them; a save is a compare-and-set on the version, in one conditional write, so of two saves of the same
// version (two administrators, or two nodes) exactly one wins and the other writes nothing. Shared engines: ./engines.ts.
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BrandImage, BrandingPatch, BrandingRecord } from '../../src/store/records.js';
import type { Store } from '../../src/store/store.js';
import { engines, MINUTE, T0, type OpenedStore } from './engines.js';

/** Every byte value, NULs and bytes that are no UTF-8 included, then a run of random ones. */
const EVERY_BYTE = Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), Buffer.from([0, 0, 0xff, 0xfe]), randomBytes(4096)]);
const LOGO: BrandImage = { contentType: 'image/png', data: Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), EVERY_BYTE]) };
const SVG: BrandImage = { contentType: 'image/svg+xml', data: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><title>Ünïcode ✓</title></svg>') };
const FAVICON: BrandImage = { contentType: 'image/x-icon', data: Buffer.from([0, 0, 1, 0, 1, 0, 16, 16, 0, 0]) };

/** A record's images as plain values to compare: the type, the bytes in hex, and that they are a Buffer. */
function images(record: BrandingRecord | null) {
  const describe = (value: BrandImage | null | undefined) => value && { contentType: value.contentType, hex: value.data.toString('hex'), buffer: Buffer.isBuffer(value.data) };
  return { logo: describe(record?.logo), favicon: describe(record?.favicon) };
}

describe.each(engines.map((engine) => [engine.name, engine] as const))('branding on %s', (_name, engine) => {
  let opened: OpenedStore;
  let store: Store;

  beforeEach(async () => {
    opened = await engine.open();
    store = opened.store;
  });

  afterEach(async () => {
    await opened.destroy();
  });

  /** Two saves of `version` at once, the second through another node; what each returned. */
  async function race(version: number, first: BrandingPatch, second: BrandingPatch, now: number) {
    const other = await opened.second();
    try {
      return await Promise.all([store.branding.save(first, version, 'admin-1', now), other.branding.save(second, version, 'admin-2', now)]);
    } finally {
      await other.close();
    }
  }

  it('has nothing saved at first: no row, version 0', async () => {
    expect(await store.branding.get()).toBeNull();
    expect(await store.branding.version()).toBe(0);
  });

  it('saves the first brand at version 1, every field it does not set null ("as configured")', async () => {
    const saved = await store.branding.save({ name: 'Acme ✓', color: '#0a5fff' }, 0, 'admin-1', T0);
    const expected: BrandingRecord = { name: 'Acme ✓', color: '#0a5fff', logo: null, favicon: null, css: null, version: 1, updatedAt: T0, updatedBy: 'admin-1' };
    expect(saved).toEqual(expected);
    expect(await store.branding.get()).toEqual(expected);
    expect(await store.branding.version()).toBe(1);
  });

  it('keeps an absent field, clears a null one, and counts every save in the version', async () => {
    await store.branding.save({ name: 'Acme', color: '#112233', logo: LOGO, css: 'body { color: red }' }, 0, 'admin-1', T0);
    const second = await store.branding.save({ color: null, favicon: FAVICON }, 1, 'admin-2', T0 + MINUTE);
    expect(second).toMatchObject({ name: 'Acme', color: null, css: 'body { color: red }', version: 2, updatedAt: T0 + MINUTE, updatedBy: 'admin-2' });
    expect(images(second)).toEqual({
      logo: { contentType: 'image/png', hex: LOGO.data.toString('hex'), buffer: true },
      favicon: { contentType: 'image/x-icon', hex: FAVICON.data.toString('hex'), buffer: true },
    });
    // An import (or the tool) saves without an administrator; an empty patch is still a save.
    const third = await store.branding.save({ logo: null, name: null, css: '' }, 2, null, T0 + 2 * MINUTE);
    expect(third).toMatchObject({ name: null, color: null, logo: null, css: '', version: 3, updatedBy: null });
    expect(images(third).favicon).toMatchObject({ contentType: 'image/x-icon' });
    expect(await store.branding.save({}, 3, 'admin-1', T0 + 3 * MINUTE)).toMatchObject({ css: '', version: 4, updatedAt: T0 + 3 * MINUTE });
    expect(await store.branding.get()).toMatchObject({ version: 4, name: null, css: '', updatedBy: 'admin-1' });
    expect(await store.branding.version()).toBe(4);
  });

  it('saves a brand with every field null and reads it back as such', async () => {
    const saved = await store.branding.save({ name: null, color: null, logo: null, favicon: null, css: null }, 0, null, T0);
    const expected: BrandingRecord = { name: null, color: null, logo: null, favicon: null, css: null, version: 1, updatedAt: T0, updatedBy: null };
    expect(saved).toEqual(expected);
    expect(await store.branding.get()).toEqual(expected);
  });

  it('gives images back byte for byte, as Buffers, from the save, from get and from another connection', async () => {
    const saved = await store.branding.save({ logo: LOGO, favicon: SVG }, 0, 'admin-1', T0);
    const expected = { logo: { contentType: 'image/png', hex: LOGO.data.toString('hex'), buffer: true }, favicon: { contentType: 'image/svg+xml', hex: SVG.data.toString('hex'), buffer: true } };
    expect(images(saved)).toEqual(expected);
    expect(images(await store.branding.get())).toEqual(expected);
    const other = await opened.second();
    try {
      expect(images(await other.branding.get())).toEqual(expected);
    } finally {
      await other.close();
    }
    // A big one (the admin screen's cap is well under this): nothing is cut or re-encoded.
    const big: BrandImage = { contentType: 'image/webp', data: randomBytes(600 * 1024) };
    const replaced = await store.branding.save({ logo: big }, 1, 'admin-1', T0 + 1);
    expect(replaced?.logo?.data.equals(big.data)).toBe(true);
    expect((await store.branding.get())?.logo?.data.equals(big.data)).toBe(true);
    // A Uint8Array that is a view into a larger buffer (as an upload's bytes may be) is saved as its own bytes only.
    const backing = Buffer.concat([Buffer.from('before'), FAVICON.data, Buffer.from('after')]);
    const view = new Uint8Array(backing.buffer, backing.byteOffset + 6, FAVICON.data.length);
    await store.branding.save({ favicon: { contentType: 'image/x-icon', data: view as Buffer } }, 2, 'admin-1', T0 + 2);
    expect((await store.branding.get())?.favicon?.data.toString('hex')).toBe(FAVICON.data.toString('hex'));
  });

  it('refuses a save of a version that is not the saved one, and writes nothing', async () => {
    // Nothing saved yet: only version 0 may save.
    expect(await store.branding.save({ name: 'Too early' }, 1, 'admin-1', T0)).toBeNull();
    expect(await store.branding.get()).toBeNull();
    const first = await store.branding.save({ name: 'Acme' }, 0, 'admin-1', T0);
    // A second "first" save, one behind, one ahead.
    expect(await store.branding.save({ name: 'Other' }, 0, 'admin-2', T0 + 1)).toBeNull();
    expect(await store.branding.save({ name: 'Other' }, 2, 'admin-2', T0 + 1)).toBeNull();
    expect(await store.branding.get()).toEqual(first);
    await store.branding.save({ color: '#abcdef' }, 1, 'admin-1', T0 + 2);
    expect(await store.branding.save({ name: 'Stale', logo: LOGO }, 1, 'admin-2', T0 + 3)).toBeNull();
    expect(await store.branding.get()).toMatchObject({ name: 'Acme', color: '#abcdef', logo: null, version: 2, updatedAt: T0 + 2 });
  });

  it('refuses a colour the table does not hold (#rrggbb in lower case), and writes nothing', async () => {
    await expect(store.branding.save({ name: 'Acme', color: '#ABCDEF' }, 0, 'admin-1', T0)).rejects.toThrow();
    expect(await store.branding.get()).toBeNull();
    await store.branding.save({ name: 'Acme' }, 0, 'admin-1', T0);
    await expect(store.branding.save({ name: 'Changed', color: 'red' }, 1, 'admin-1', T0 + 1)).rejects.toThrow();
    expect(await store.branding.get()).toMatchObject({ name: 'Acme', color: null, version: 1 });
  });

  it('lets exactly one of two saves of the same version win, the first save and later ones alike, and the loser writes nothing', async () => {
    let version = 0;
    for (let round = 0; round < 6; round++) {
      const results = await race(version, { name: `first ${round}`, logo: LOGO }, { name: `second ${round}`, css: `/* ${round} */` }, T0 + round);
      const winners = results.filter((result) => result !== null);
      expect(winners).toHaveLength(1);
      const [winner] = winners;
      expect(winner?.version).toBe(version + 1);
      const stored = await store.branding.get();
      expect(stored).toMatchObject({ name: winner?.name, css: winner?.css ?? null, version: version + 1, updatedBy: winner?.updatedBy });
      // The loser's fields are nowhere: the winner's row is exactly what was stored.
      expect(images(stored)).toEqual(images(winner ?? null));
      version++;
    }
    expect(await store.branding.version()).toBe(6);
  });

  it('lets exactly one of many saves of the same version through one connection win', async () => {
    await store.branding.save({ name: 'Acme' }, 0, 'admin-1', T0);
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => store.branding.save({ name: `save ${i}` }, 1, `admin-${i}`, T0 + 1)));
    const winners = results.filter((result) => result !== null);
    expect(winners).toHaveLength(1);
    expect(await store.branding.get()).toEqual(winners[0]);
    expect(await store.branding.version()).toBe(2);
  });
});
