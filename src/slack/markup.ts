/**
 * Text as people read it in Slack, from the markup Slack sends text in: a 📌'd message's (pins.ts) and a slash
 * command's (listeners/commands.ts, listeners/drill.ts). Slack writes a typed `&`, `<` and `>` as `&amp;`, `&lt;`
 * and `&gt;`, and a mention, a channel, a link or `@here` as `<…>`; what rollbot keeps of it (a note, a reason) is
 * what was written, which every surface escapes again for its own markup.
 */

/** `<…>`: Slack's markup for a mention, a channel, a link or a special command (`<!here>`, `<!date…>`). */
const MARKUP = /<([^<>]*)>/g;
const ENTITIES: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>' };

/**
 * A message's text as people read it in Slack, from the markup Slack answers it in (`&lt;` for `<`, `<@U…>` for
 * a mention, `<https://…|label>` for a link): what the timeline and the retrospective quote is what was written,
 * not `p99 &gt; 2s`. A mention keeps its ID or its label (`@U0ANA`, `@ml-oncall`, `#ml-alerts`), a link its label
 * and address, a date its fallback text; `<!here>` and `<!channel>` become plain `@here` and `@channel`, which
 * ping nobody wherever the note is shown. Entities are decoded last and once, so `&amp;lt;` stays `&lt;`.
 */
export function plainText(raw: string): string {
  return raw
    .replace(MARKUP, (_whole, inner: string) => shown(inner))
    .replace(/&(amp|lt|gt);/g, (entity) => ENTITIES[entity] ?? entity);
}

/** What Slack shows for the inside of one `<…>`. */
function shown(inner: string): string {
  const bar = inner.indexOf('|');
  const target = bar < 0 ? inner : inner.slice(0, bar);
  const label = bar < 0 ? undefined : inner.slice(bar + 1);
  if (target.startsWith('@')) return label ? `@${label.replace(/^@/, '')}` : target;
  if (target.startsWith('#')) return label ? `#${label.replace(/^#/, '')}` : target;
  if (target.startsWith('!')) {
    const [command = '', id] = target.slice(1).split('^');
    if (command === 'date') return label ?? '';
    const name = label?.replace(/^@/, '') || (command === 'subteam' && id ? id : command);
    return `@${name}`;
  }
  if (label === undefined || label === target || target === `mailto:${label}`) return label ?? target;
  return `${label} (${target})`;
}
