// `idp attribute …`: create, list, show, update, delete the user attributes released as claims (issue 21).
// Each person's value is set with `idp user set-attribute`. The rules (names, reserved claims, the scope of a
// standard claim) are src/manage/attributes.ts's, as on the admin screens.
import type { Command } from 'commander';
import { NotFoundError, ValidationError } from '../errors.js';
import { ATTRIBUTE_TYPES, checkAttributeType, defineAttribute, deleteAttribute, updateAttribute } from '../manage/attributes.js';
import type { AttributeDefinition, AttributePatch } from '../store/records.js';
import { iso, print, withContext, type OutputOptions } from './run.js';

export function attributeJson(definition: AttributeDefinition) {
  return {
    name: definition.name,
    type: definition.type,
    claim: definition.claim,
    scope: definition.scope,
    user_visible: definition.userVisible,
    created_at: iso(definition.createdAt),
  };
}

const attributeLine = (d: AttributeDefinition) => [d.name, d.type, d.claim, d.scope, d.userVisible ? 'visible' : ''].join('\t').trimEnd();

function onOff(setting: string): boolean {
  if (setting !== 'on' && setting !== 'off') throw new ValidationError('user_visible', '--user-visible must be on or off');
  return setting === 'on';
}

const fieldsText = (json: Record<string, string | boolean | null>) =>
  Object.entries(json)
    .map(([key, value]) => `${key}: ${value ?? ''}`)
    .join('\n');

export function registerAttributeCommands(program: Command): void {
  const attribute = program.command('attribute').description('manage user attributes and the claims that carry them');

  attribute
    .command('create')
    .description('define an attribute: the claim that carries it and the scope that releases it')
    .requiredOption('--name <name>', 'its name: a lower-case letter, then lower-case letters, digits or underscores (up to 64)')
    .requiredOption('--claim <claim>', 'the claim name in tokens and userinfo (not one Gatehouse sets; a standard claim takes its standard scope)')
    .requiredOption('--scope <scope>', 'the scope that releases it (e.g. profile for given_name, or one of your own)')
    .option('--type <type>', `${ATTRIBUTE_TYPES.join(', ')} (a list is an array of strings)`, 'string')
    .option('--user-visible', 'shown to the person on their account page')
    .option('--json', 'print JSON')
    .action((options: OutputOptions & { name: string; claim: string; scope: string; type: string; userVisible?: boolean }) =>
      withContext(async (ctx) => {
        const created = await defineAttribute(ctx, {
          name: options.name,
          claim: options.claim,
          scope: options.scope,
          type: checkAttributeType(options.type),
          userVisible: options.userVisible ?? false,
        });
        print(options, attributeJson(created), `created attribute ${created.name} (${created.type}), released as the claim ${created.claim} with the scope ${created.scope}`);
      }),
    );

  attribute
    .command('list')
    .description('list the attributes in name order')
    .option('--json', 'print JSON')
    .action((options: OutputOptions) =>
      withContext(async (ctx) => {
        const definitions = await ctx.store.attributes.list();
        print(options, { attributes: definitions.map(attributeJson) }, definitions.length ? definitions.map(attributeLine).join('\n') : '(no attributes)');
      }),
    );

  attribute
    .command('show <name>')
    .description('show one attribute')
    .option('--json', 'print JSON')
    .action((name: string, options: OutputOptions) =>
      withContext(async (ctx) => {
        const found = await ctx.store.attributes.find(name.trim());
        if (!found) throw new NotFoundError(`no attribute ${JSON.stringify(name)}`);
        print(options, attributeJson(found), fieldsText(attributeJson(found)));
      }),
    );

  attribute
    .command('update <name>')
    .description("change an attribute's claim, scope or visibility (its type stays: values are kept in it)")
    .option('--claim <claim>', 'the new claim name')
    .option('--scope <scope>', 'the new scope')
    .option('--user-visible <on|off>', 'whether the person sees it on their account page')
    .option('--json', 'print JSON')
    .action((name: string, options: OutputOptions & { claim?: string; scope?: string; userVisible?: string }) =>
      withContext(async (ctx) => {
        const patch: AttributePatch = {};
        if (options.claim !== undefined) patch.claim = options.claim;
        if (options.scope !== undefined) patch.scope = options.scope;
        if (options.userVisible !== undefined) patch.userVisible = onOff(options.userVisible);
        if (Object.keys(patch).length === 0) throw new ValidationError('attribute', 'nothing to change: give --claim, --scope or --user-visible');
        const updated = await updateAttribute(ctx, name, patch);
        print(options, attributeJson(updated), fieldsText(attributeJson(updated)));
      }),
    );

  attribute
    .command('delete <name>')
    .description("delete an attribute and every person's value of it")
    .option('--json', 'print JSON')
    .action((name: string, options: OutputOptions) =>
      withContext(async (ctx) => {
        const deleted = await deleteAttribute(ctx, name);
        print(options, { deleted: true, ...attributeJson(deleted) }, `deleted attribute ${deleted.name} (claim ${deleted.claim}) and its values`);
      }),
    );
}
