import { SwitchyardError } from '@switchyard/contracts';

/**
 * Fills `{config.<key>}` and `{id}` placeholders of a URL or path template. Values are URL-encoded;
 * a missing config key is a coded error naming it, so a half-configured account fails clearly.
 */
export function renderTemplate(template: string, values: { config: Record<string, unknown>; id?: string | undefined }): string {
  return template.replace(/\{(config\.[A-Za-z0-9_]+|id)\}/g, (_match, name: string) => {
    const value = name === 'id' ? values.id : values.config[name.slice('config.'.length)];
    if (value === undefined || value === null || value === '') {
      throw new SwitchyardError('SWY_ERR_ACCOUNT_CONFIG_MISSING', name === 'id' ? 'this operation needs a record id' : `set '${name.slice(7)}' in the integrated account's config`);
    }
    return encodeURIComponent(String(value));
  });
}

/** The provider base URL for an account: its `config.base_url` override (sandbox, instance URL) or the template. */
export function baseUrlFor(template: string, config: Record<string, unknown>): string {
  const override = typeof config.base_url === 'string' && config.base_url !== '' ? config.base_url : undefined;
  return (override ?? renderTemplate(template, { config })).replace(/\/+$/, '');
}
