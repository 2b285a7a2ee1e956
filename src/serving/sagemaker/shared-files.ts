/**
 * The AWS shared files (`~/.aws/credentials`, `~/.aws/config`) read as the AWS SDK for JavaScript v3 reads them
 * (@smithy/core's parseIni), simply: sections, `key = value` lines, `#` and `;` comments. Only the profile in use
 * matters to the default chain, so only its section is kept.
 */

/** The keys of one profile, each with its value. */
export type IniProfile = Readonly<Record<string, string>>;

/**
 * The keys of profile `name` in a shared file's text. In the credentials file its section is `[name]`; in the
 * config file `[profile name]`, and `[default]` (or `[profile default]`) for the default profile: a bare `[name]`
 * there is not read by the SDK. Nested settings (`s3 =` followed by indented lines) are left out.
 */
export function profileIn(text: string, name: string, file: 'credentials' | 'config'): IniProfile {
  const wanted =
    file === 'credentials'
      ? (section: string) => section === name
      : (section: string) => profileName(section) === name || (name === 'default' && section === 'default');
  const keys: Record<string, string> = {};
  let inProfile = false;
  let nested = false;
  for (const raw of text.split(/\r?\n/)) {
    const line = (raw.split(/(?:^|\s)[;#]/)[0] ?? '').trim();
    if (line.startsWith('[') && line.endsWith(']')) {
      inProfile = wanted(line.slice(1, -1).trim());
      nested = false;
      continue;
    }
    const equals = line.indexOf('=');
    if (!inProfile || equals <= 0) continue;
    const key = line.slice(0, equals).trim();
    const value = line.slice(equals + 1).trim();
    if (value === '') nested = true;
    else if (nested && raw.trimStart() !== raw) continue;
    else {
      nested = false;
      keys[key] = value;
    }
  }
  return keys;
}

/** `x` of a config file's `[profile x]` (quoted or not), else undefined. */
function profileName(section: string): string | undefined {
  const match = /^profile\s+(["']?)([^"'\s]+)\1$/.exec(section);
  return match?.[2];
}
