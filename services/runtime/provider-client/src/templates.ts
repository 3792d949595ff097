import { SwitchyardError } from '@switchyard/contracts';

/**
 * Fills `{config.<key>}` and `{id}` placeholders of a URL or path template, and with `params` (an
 * operation's `path_params`) any other `{name}`; a `params.id` replaces the record id. Values are
 * URL-encoded, so none can add a path segment; a missing config key is a coded error naming it, so a
 * half-configured account fails clearly.
 */
export function renderTemplate(template: string, values: { config: Record<string, unknown>; id?: string | undefined; params?: Record<string, unknown> | undefined }): string {
  const pattern = values.params ? /\{(config\.[A-Za-z0-9_]+|[a-z_]+)\}/g : /\{(config\.[A-Za-z0-9_]+|id)\}/g;
  return template.replace(pattern, (_match, name: string) => {
    const param = values.params?.[name];
    const value = name.startsWith('config.') ? values.config[name.slice('config.'.length)] : param !== undefined && param !== null ? param : name === 'id' ? values.id : undefined;
    if (value === undefined || value === null || value === '') {
      if (name.startsWith('config.')) throw new SwitchyardError('SWY_ERR_ACCOUNT_CONFIG_MISSING', `set '${name.slice(7)}' in the integrated account's config`);
      throw new SwitchyardError(name === 'id' ? 'SWY_ERR_ACCOUNT_CONFIG_MISSING' : 'SWY_ERR_MAPPING_FAILED', name === 'id' ? 'this operation needs a record id' : `the path needs '${name}', which path_params did not give`);
    }
    return encodeURIComponent(String(value));
  });
}

/** The provider base URL for an account: its `config.base_url` override (sandbox, instance URL) or the template. */
export function baseUrlFor(template: string, config: Record<string, unknown>): string {
  const override = typeof config.base_url === 'string' && config.base_url !== '' ? config.base_url : undefined;
  return (override ?? renderTemplate(template, { config })).replace(/\/+$/, '');
}

/** The request values a declared header may name: `{limit}`, `{updated_after}`, `{id}`, `{config.<key>}`. */
export interface HeaderValues {
  config: Record<string, unknown>;
  input: Record<string, unknown>;
  id?: string | undefined;
}

/**
 * Fills the request values of declared headers (`Prefer: odata.maxpagesize={limit}`,
 * `If-Modified-Since: {updated_after}`), unencoded: they are header text, not URL parts. A header
 * naming a value this request lacks (no `updated_after` given) is left out, so one declaration serves
 * calls with and without it; a value with a line break is refused, so no header can be split.
 */
export function renderHeaders(headers: Record<string, string>, values: HeaderValues): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, template] of Object.entries(headers)) {
    let missing = false;
    const value = template.replace(/\{(config\.[A-Za-z0-9_]+|id|limit|updated_after)\}/g, (_match, key: string) => {
      const v = key === 'id' ? values.id : key.startsWith('config.') ? values.config[key.slice('config.'.length)] : values.input[key];
      if (v === undefined || v === null || v === '') missing = true;
      return missing ? '' : String(v);
    });
    if (missing) continue;
    if (/[\r\n]/.test(value)) throw new SwitchyardError('SWY_ERR_VALIDATION', `header '${name}' would carry a line break`);
    out[name] = value;
  }
  return out;
}
