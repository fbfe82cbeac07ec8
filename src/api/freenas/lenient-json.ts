import type { FastifyInstance } from 'fastify';

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

/**
 * The FreeNAS plugin's JSON parser: Tastypie clients send Content-Type: application/json
 * on GET and DELETE without a body (no body), and a body that fails strict parsing is
 * retried once without trailing commas. Installed in the FreeNAS plugin only, so no
 * other dialect inherits the leniency.
 */
export function installLenientJson(app: FastifyInstance): void {
  const strict = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (typeof body === 'string' && body.trim() === '') return done(null, undefined);
    strict(request, body as string, (err, parsed) => {
      if (!err) return done(null, parsed);
      const relaxed = stripTrailingCommas(body as string);
      if (relaxed === body) return done(err, undefined);
      strict(request, relaxed, (err2, parsed2) => (err2 ? done(err, undefined) : done(null, parsed2)));
    });
  });
}
