/**
 * One worker process of the {@link ExpressionSandbox}: evaluates the tenant expressions it is sent,
 * one at a time, with the same engine (RE2 regexes, function library, depth limit) as shipped
 * mappings. Its parent kills it when an expression overruns; nothing here needs to.
 */
import { SwitchyardError } from '@switchyard/contracts';
import { MappingEngine } from './mapping-engine.js';
import type { SandboxReady, SandboxReply, SandboxRequest } from './sandbox.js';

if (!process.send) throw new Error('sandbox-worker runs as a child process of ExpressionSandbox');
const send = (message: SandboxReply | SandboxReady) => process.send!(message);

/** One engine per budget: JSONata takes its timeout when an expression is compiled. */
const engines = new Map<number, MappingEngine>();
const engineFor = (timeoutMs: number) => {
  let engine = engines.get(timeoutMs);
  if (!engine) engines.set(timeoutMs, (engine = new MappingEngine({ timeoutMs, cacheSize: 200 })));
  return engine;
};

process.on('message', async (request: SandboxRequest) => {
  let reply: SandboxReply;
  try {
    const value = await engineFor(request.timeoutMs).evaluate(request.name, request.source, request.input, request.bindings);
    reply = { id: request.id, ok: true, value };
  } catch (error) {
    const coded = error instanceof SwitchyardError ? error : new SwitchyardError('SWY_ERR_MAPPING_FAILED', `${request.name}: ${String(error)}`);
    reply = { id: request.id, ok: false, code: coded.code, message: coded.message };
  }
  try {
    send(reply);
  } catch {
    // A result that is not data (a JSONata function, say) cannot cross to the parent.
    send({ id: request.id, ok: false, code: 'SWY_ERR_MAPPING_FAILED', message: `${request.name}: the result is not JSON data` });
  }
});

send('ready');
// If the parent goes, so does this worker.
process.on('disconnect', () => process.exit(0));
