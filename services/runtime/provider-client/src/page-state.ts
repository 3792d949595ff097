import type { Pagination } from '@switchyard/contracts';

/** Where a list call stands, sealed into the customer's cursor: a provider cursor, an offset, a page, or a next URL. */
export interface PageState {
  c?: string;
  o?: number;
  p?: number;
  u?: string;
}

/** The query (or URL) for the page a cursor state names. */
export function pageQuery(pagination: Pagination, state: PageState, limit: number): { query: Record<string, string>; url?: string | undefined } {
  switch (pagination.style) {
    case 'none':
      return { query: {} };
    case 'cursor':
      return { query: { ...(pagination.limit_param ? { [pagination.limit_param]: String(limit) } : {}), ...(state.c ? { [pagination.param]: state.c } : {}) } };
    case 'offset':
      return {
        query: {
          ...(pagination.offset_param ? { [pagination.offset_param]: String(state.o ?? 0) } : {}),
          ...(pagination.limit_param ? { [pagination.limit_param]: String(limit) } : {}),
        },
      };
    case 'page':
      return { query: { [pagination.page_param]: String(state.p ?? pagination.first_page), [pagination.per_page_param]: String(limit) } };
    case 'next_url':
    case 'link_header':
      return state.u ? { query: {}, url: state.u } : { query: pagination.limit_param ? { [pagination.limit_param]: String(limit) } : {} };
  }
}

/**
 * What a list cursor is bound to besides the account: the resource and the filters that chose the
 * records (`type`, `contact_type`, `updated_after`), so a cursor of one walk cannot continue another
 * (a Zoho Tasks position read as Calls). `limit` and `include_remote_data` may change between pages.
 * Without filters it is the resource alone, as before, so cursors minted by older hubs still open.
 */
export function listBinding(resource: string, input: { filters: Record<string, string>; updated_after?: string | undefined }): string {
  const filters = Object.keys(input.filters)
    .sort()
    .map((name) => [name, input.filters[name]]);
  if (filters.length === 0 && input.updated_after === undefined) return resource;
  return `${resource}?${JSON.stringify({ f: filters, u: input.updated_after ?? null })}`;
}

/**
 * The state of the page after this one, from the provider's answer (`evaluate` runs the pagination's
 * expressions over it), or `undefined` when this was the last page.
 */
export async function nextPageState(evaluate: (source: string) => Promise<unknown>, pagination: Pagination, state: PageState, reply: { headers: Record<string, string> }, count: number, limit: number): Promise<PageState | undefined> {
  const more = async (source: string | undefined) => (source ? Boolean(await evaluate(source)) : count >= limit && count > 0);
  switch (pagination.style) {
    case 'none':
      return undefined;
    case 'cursor': {
      const next = await evaluate(pagination.next);
      return next === undefined || next === null || next === '' ? undefined : { c: String(next) };
    }
    case 'offset':
      return (await more(pagination.has_more)) ? { o: (state.o ?? 0) + count } : undefined;
    case 'page':
      return (await more(pagination.has_more)) ? { p: (state.p ?? pagination.first_page) + 1 } : undefined;
    case 'next_url': {
      const next = await evaluate(pagination.next);
      return typeof next === 'string' && next !== '' ? { u: next } : undefined;
    }
    case 'link_header': {
      const link = /<([^>]+)>\s*;\s*rel="?next"?/i.exec(reply.headers.link ?? '');
      return link?.[1] ? { u: link[1] } : undefined;
    }
  }
}
