/**
 * Extent sizes as FreeNAS clients write them: raw bytes ("10485760") or a number with a
 * binary suffix ("10MB", "1.5GB", "20 GiB", "4K"). "0" means "adopt the existing file".
 */

const UNITS: Record<string, number> = {
  '': 1,
  B: 1,
  K: 1024,
  M: 1024 ** 2,
  G: 1024 ** 3,
  T: 1024 ** 4,
  P: 1024 ** 5,
};

/** Bytes for `text`, or null when it is not a size. Fractions round down to a byte. */
export function parseSize(text: string | number): number | null {
  if (typeof text === 'number') return Number.isSafeInteger(text) && text >= 0 ? text : null;
  const match = /^\s*(\d+(?:\.\d+)?)\s*([KMGTP]?)(?:I?B)?\s*$/i.exec(text);
  if (!match) return null;
  const unit = UNITS[match[2]!.toUpperCase()]!;
  if (unit === 1 && match[1]!.includes('.')) return null;
  const bytes = Math.floor(Number(match[1]) * unit);
  return Number.isSafeInteger(bytes) ? bytes : null;
}
