/**
 * The contract every fuzz target asserts: a parser given outside input either returns
 * or throws its own typed error. Anything else (a TypeError, a RangeError from a Buffer
 * read past the end, an assertion) escapes and is a finding.
 */
type ErrorClass = abstract new (...args: never[]) => Error;

export function only<T>(allowed: readonly ErrorClass[], fn: () => T): T | undefined {
  try {
    return fn();
  } catch (e) {
    if (allowed.some((c) => e instanceof c)) return undefined;
    throw e;
  }
}

/** A finding with the input's shape in the message, so the crash report says what broke. */
export function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(`contract broken: ${what}`);
}

/** The fuzzer's bytes as text, the way a peer's bytes reach a string parser. */
export function text(data: Buffer): string {
  return data.toString('utf8');
}
