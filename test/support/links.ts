import type { RawResponse } from './clients.js';

/** Query parameters in order, repeats allowed. */
export type QueryPairs = readonly (readonly [string, string])[];

/** `key=value&…`, each part percent-encoded with `encodeURIComponent`. */
export function toQueryString(pairs: QueryPairs): string {
  return pairs.map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(value)}`).join('&');
}

/** RFC 8288 `Link` header → rel → absolute URL. */
export function parseLinks(header: string | null): Map<string, URL> {
  const links = new Map<string, URL>();
  for (const [, url, rel] of (header ?? '').matchAll(/<([^>]*)>\s*;\s*rel="([^"]+)"/g)) {
    if (url !== undefined && rel !== undefined) links.set(rel, new URL(url));
  }
  return links;
}

/** rel → page number of each link of a `Link` header (offset paging). */
export function linkPages(header: string | null): Record<string, number> {
  return Object.fromEntries([...parseLinks(header)].map(([rel, url]) => [rel, Number(url.searchParams.get('page'))]));
}

/** Total-Number and Total-Number-Is-Capped, as one comparable value. */
export function totals(response: RawResponse): { total: string | null; capped: string | null } {
  return { total: response.headers.get('total-number'), capped: response.headers.get('total-number-is-capped') };
}
