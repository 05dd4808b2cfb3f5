// "Your details" on the account page (issue 21): the values of the attributes an administrator marked as visible
// to the person (AttributeDefinition.userVisible). Attributes not so marked (an internal risk score, say) are
// released to applications by their scope but never shown here; the person's groups are not shown either.
import { formatAttributeValue } from '../manage/attributes.js';
import type { Store } from '../store/store.js';

export interface DetailView {
  /** The attribute's name made readable: `cost_centre` → "Cost centre". */
  label: string;
  value: string;
}

/** `[a-z][a-z0-9_]*` (the attribute name rule) as a label. */
export function attributeLabel(name: string): string {
  const words = name.replace(/_+/g, ' ').trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** The visible attributes that have a value for the person, in attribute name order. */
export async function yourDetails(store: Store, userId: string): Promise<DetailView[]> {
  const visible = (await store.attributes.list()).filter((definition) => definition.userVisible);
  if (visible.length === 0) return [];
  const values = await store.attributes.valuesOf(userId);
  const details: DetailView[] = [];
  for (const definition of visible) {
    if (!Object.hasOwn(values, definition.name)) continue;
    const value = values[definition.name];
    if (value === undefined) continue;
    details.push({ label: attributeLabel(definition.name), value: formatAttributeValue(value) });
  }
  return details;
}
