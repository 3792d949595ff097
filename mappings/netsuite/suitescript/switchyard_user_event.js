/**
 * @NApiVersion 2.1
 * @NScriptType UserEventScript
 * @NModuleScope SameAccount
 *
 * Switchyard: pushes record changes to the hub, signed with Standard Webhooks v1.
 *
 * Deploy once per record type (employee, customer, vendor, contact, invoice, vendorbill). After each
 * create, edit, inline edit or delete it POSTs
 *   {"type": "netsuite.<recordType>.<create|edit|delete>", "timestamp", "account", "record": {…}}
 * with the headers webhook-id (unique per change, reused by the retry), webhook-timestamp (Unix
 * seconds of the attempt) and webhook-signature ("v1," + base64 HMAC-SHA256 of
 * "<webhook-id>.<webhook-timestamp>.<body>"). The HMAC key is the API secret named by the script
 * parameter; it never appears in this file, in logs or in the request.
 *
 * Script parameters (Script record > Parameters):
 *   custscript_swy_hub_url    Free-Form Text  https://<hub>/webhooks/netsuite/<integrated_account_id>
 *   custscript_swy_secret_id  Free-Form Text  script ID of the API secret (custsecret_…), or a
 *                                             credential-field GUID on accounts without API Secrets
 *
 * A failure is logged (Execution Log, level ERROR) and never blocks or undoes the user's save:
 * afterSubmit runs after the record is committed. Missed changes are recovered by a SuiteQL poll on
 * lastmodifieddate (see the README).
 */
define(['N/crypto', 'N/encode', 'N/https', 'N/log', 'N/record', 'N/runtime', 'N/search'], (crypto, encode, https, log, record, runtime, search) => {
  const PARAM_URL = 'custscript_swy_hub_url';
  const PARAM_SECRET = 'custscript_swy_secret_id';

  /** Body fields sent per record type; every type also sends COMMON and its custom fields. */
  const FIELDS = {
    employee: ['entityid', 'firstname', 'lastname', 'email', 'phone', 'mobilephone', 'title', 'department', 'supervisor', 'location',
      'subsidiary', 'hiredate', 'releasedate', 'birthdate', 'gender', 'isinactive'],
    customer: ['entityid', 'companyname', 'isperson', 'firstname', 'lastname', 'email', 'phone', 'vatregnumber', 'currency', 'subsidiary', 'isinactive'],
    vendor: ['entityid', 'companyname', 'isperson', 'firstname', 'lastname', 'email', 'phone', 'vatregnumber', 'currency', 'subsidiary', 'isinactive'],
    contact: ['entityid', 'firstname', 'lastname', 'title', 'email', 'phone', 'mobilephone', 'company', 'subsidiary', 'isinactive'],
    invoice: ['tranid', 'entity', 'trandate', 'duedate', 'currency', 'exchangerate', 'subtotal', 'discounttotal', 'taxtotal', 'total',
      'amountremaining', 'status', 'statusRef', 'memo', 'subsidiary'],
    vendorbill: ['tranid', 'entity', 'trandate', 'duedate', 'currency', 'exchangerate', 'taxtotal', 'usertotal', 'total',
      'amountremaining', 'status', 'statusRef', 'memo', 'subsidiary'],
  };
  const COMMON = ['externalid', 'datecreated', 'createddate', 'lastmodifieddate'];
  /** Select fields whose display text is sent too, as `<field>_text`. */
  const WITH_TEXT = ['department', 'location', 'subsidiary', 'currency', 'gender'];
  /** Date-only fields, sent as the calendar date (YYYY-MM-DD) rather than an instant. */
  const DATE_ONLY = ['hiredate', 'releasedate', 'birthdate', 'trandate', 'duedate'];
  /** Line sublists sent as record.lines, with the columns read from each. */
  const SUBLISTS = {
    invoice: { item: ['line', 'item', 'description', 'quantity', 'rate', 'amount', 'tax1amt'] },
    vendorbill: { item: ['line', 'item', 'description', 'quantity', 'rate', 'amount', 'tax1amt'], expense: ['line', 'account', 'memo', 'amount', 'tax1amt'] },
  };
  /** Units one change may spend: load (≤10) + currency lookup (1) + two POSTs (2 × 10). */
  const UNITS_NEEDED = 35;

  const pad = (n) => String(n).padStart(2, '0');
  // Date-only values come back as local midnight of the script's time zone; the local getters give
  // back the calendar date as entered, whatever that zone is. toISOString() could shift it a day.
  const calendarDate = (d) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;

  function plain(fieldId, value) {
    if (value instanceof Date) return DATE_ONLY.includes(fieldId) ? calendarDate(value) : value.toISOString();
    return value === undefined ? null : value;
  }

  function readBody(rec, recordType) {
    const out = { id: String(rec.id), recordType };
    for (const fieldId of COMMON.concat(FIELDS[recordType] || [])) {
      const value = rec.getValue({ fieldId });
      if (value === undefined) continue;
      out[fieldId] = plain(fieldId, value);
      if (WITH_TEXT.includes(fieldId) && value !== '' && value !== null) out[`${fieldId}_text`] = rec.getText({ fieldId });
    }
    const custom = {};
    for (const fieldId of rec.getFields()) {
      if (/^cust(entity|body|record)/.test(fieldId)) custom[fieldId] = plain(fieldId, rec.getValue({ fieldId }));
    }
    if (Object.keys(custom).length > 0) out.custom = custom;
    return out;
  }

  function readLines(rec, recordType) {
    const lines = [];
    const sublists = SUBLISTS[recordType] || {};
    for (const sublistId of Object.keys(sublists)) {
      const count = rec.getLineCount({ sublistId });
      for (let line = 0; line < count; line += 1) {
        const row = { sublist: sublistId };
        for (const fieldId of sublists[sublistId]) row[fieldId] = plain(fieldId, rec.getSublistValue({ sublistId, fieldId, line }));
        lines.push(row);
      }
    }
    return lines;
  }

  const currencyCodes = {};
  /** The ISO 4217 code of a currency record (its `symbol` field), cached for this execution. */
  function currencyCode(currencyId) {
    if (!currencyId) return null;
    if (!(currencyId in currencyCodes)) {
      const found = search.lookupFields({ type: search.Type.CURRENCY, id: currencyId, columns: ['symbol'] });
      currencyCodes[currencyId] = found.symbol || null;
    }
    return currencyCodes[currencyId];
  }

  /** "v1," + base64 HMAC-SHA256 of "<id>.<timestamp>.<body>", keyed by the API secret's text (UTF-8). */
  function sign(secretRef, id, timestamp, body) {
    const key = /^custsecret/i.test(secretRef)
      ? crypto.createSecretKey({ secret: secretRef, encoding: encode.Encoding.UTF_8 })
      : crypto.createSecretKey({ guid: secretRef, encoding: encode.Encoding.UTF_8 });
    const hmac = crypto.createHmac({ algorithm: crypto.HashAlg.SHA256, key });
    hmac.update({ input: `${id}.${timestamp}.${body}`, inputEncoding: encode.Encoding.UTF_8 });
    return `v1,${hmac.digest({ outputEncoding: encode.Encoding.BASE_64 })}`;
  }

  /** One attempt; the timestamp and signature are per attempt, the id is per change. */
  function post(url, secretRef, id, body) {
    const timestamp = String(Math.floor(Date.now() / 1000));
    return https.post({
      url,
      body,
      headers: {
        'Content-Type': 'application/json',
        'webhook-id': id,
        'webhook-timestamp': timestamp,
        'webhook-signature': sign(secretRef, id, timestamp, body),
      },
    });
  }

  const retryable = (code) => code === 429 || code >= 500;

  function afterSubmit(context) {
    const types = context.UserEventType;
    const actions = { [types.CREATE]: 'create', [types.EDIT]: 'edit', [types.XEDIT]: 'edit', [types.DELETE]: 'delete' };
    const action = actions[context.type];
    if (!action) return;

    const script = runtime.getCurrentScript();
    const url = script.getParameter({ name: PARAM_URL });
    const secretRef = script.getParameter({ name: PARAM_SECRET });
    if (!url || !secretRef) {
      log.error({ title: 'Switchyard: not configured', details: `set ${PARAM_URL} and ${PARAM_SECRET} on the script record` });
      return;
    }
    const changed = context.newRecord || context.oldRecord;
    if (script.getRemainingUsage() < UNITS_NEEDED) {
      log.error({ title: 'Switchyard: skipped, governance', details: `${changed.type} ${changed.id}: ${script.getRemainingUsage()} units left` });
      return;
    }

    let id;
    try {
      // Deletes only have the old record. Otherwise read the committed record back: an inline edit's
      // newRecord carries only the edited fields, and totals or generated numbers are final only now.
      const rec = action === 'delete'
        ? context.oldRecord
        : record.load({ type: changed.type, id: changed.id, isDynamic: false });
      const recordType = rec.type;
      const data = readBody(rec, recordType);
      const lines = readLines(rec, recordType);
      if (lines.length > 0) data.lines = lines;
      if (data.currency) data.currency_code = currencyCode(data.currency);

      // No "." (it separates the signed parts); unique per change, stable across the retry below.
      id = ['nsevt', runtime.accountId, recordType, data.id, action, Date.now().toString(36), Math.random().toString(36).slice(2, 10)]
        .join('_')
        .replace(/[^A-Za-z0-9_-]/g, '-');
      const body = JSON.stringify({ type: `netsuite.${recordType}.${action}`, timestamp: new Date().toISOString(), account: runtime.accountId, record: data });

      let response;
      try {
        response = post(url, secretRef, id, body);
      } catch (error) {
        log.audit({ title: 'Switchyard: retrying after error', details: `${id}: ${error.name} ${error.message}` });
      }
      if (!response || retryable(response.code)) response = post(url, secretRef, id, body);
      if (response.code < 200 || response.code >= 300) {
        log.error({ title: `Switchyard: hub answered ${response.code}`, details: `${id}: ${String(response.body).slice(0, 500)}` });
      }
    } catch (error) {
      log.error({ title: 'Switchyard: change not sent', details: `${id || `${changed.type} ${changed.id}`}: ${error.name} ${error.message}` });
    }
  }

  return { afterSubmit };
});
