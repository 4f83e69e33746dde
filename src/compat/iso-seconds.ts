/** ISO-8601 UTC without milliseconds, as the Landscape and v1 seeds write times: `2025-09-15T22:52:11Z`. */
export function isoSeconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
