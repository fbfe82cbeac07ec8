/**
 * JSON as FreeNAS's own documentation writes it: its authorizedinitiator example has a
 * trailing comma. A body that fails strict parsing is retried once with commas before
 * a closing } or ] removed (outside strings); anything else stays an error.
 */

/** Removes commas that directly precede `}` or `]`, ignoring string contents. */
export function stripTrailingCommas(text: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i += 1) {
    const ch = text[i]!;
    if (inString) {
      out += ch;
      if (ch === '\\') {
        out += text[i + 1] ?? '';
        i += 1;
      } else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') inString = true;
    if (ch === ',') {
      let j = i + 1;
      while (j < text.length && /\s/.test(text[j]!)) j += 1;
      if (text[j] === '}' || text[j] === ']') continue;
    }
    out += ch;
  }
  return out;
}
