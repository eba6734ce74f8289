import { describeOptions, type Named, type OptionsSchema } from '../core/index.js';

const shown = (value: unknown) => (value === undefined ? 'none' : typeof value === 'string' ? value : JSON.stringify(value));

/** Plug-ins with their descriptions and every option's type, default and meaning, as `ctxbench list` prints them. */
export function listPlugins(title: string, plugins: ReadonlyArray<Named & { options: OptionsSchema }>): string {
  const lines = [title];
  for (const plugin of plugins) {
    lines.push(`  ${plugin.name.padEnd(18)} ${plugin.description}`);
    const options = describeOptions(plugin.options);
    if (options.length === 0) lines.push(`      (no options)`);
    for (const option of options) lines.push(`      ${option.key} (${option.type}, default: ${shown(option.default)}): ${option.description}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Every option of the plug-ins as Markdown table rows: plug-in, option, type, default, meaning (the README's tables). */
export function optionRows(plugins: ReadonlyArray<Named & { options: OptionsSchema }>): string[] {
  return plugins.flatMap((plugin) => {
    const options = describeOptions(plugin.options);
    if (options.length === 0) return [`| ${plugin.name} | – | | | takes no options |`];
    return options.map((option) => `| ${plugin.name} | \`${option.key}\` | ${option.type.replaceAll('|', '\\|')} | ${shown(option.default)} | ${option.description.replaceAll('|', '\\|')} |`);
  });
}
