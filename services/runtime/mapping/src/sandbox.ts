import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SwitchyardError, type ErrorCode } from '@switchyard/contracts';
import type { ExpressionEvaluator } from './mapping-engine.js';

/** How the sandbox shares its workers among tenants. */
export interface SandboxOptions {
  /** Worker processes evaluating tenant expressions (started on first use). */
  workers: number;
  /** Expressions of one tenant evaluating at once: a hostile tenant holds at most this many workers. */
  perTenant: number;
  /** Expressions of one tenant waiting for a worker; beyond it, `SWY_ERR_MAPPING_BUSY`. */
  queuePerTenant: number;
  /** Heap of one worker, in MiB; an expression that needs more stops its worker. */
  memoryMb: number;
  /** How long past its budget an expression may run before its worker is killed, in ms. */
  graceMs: number;
  /** Budget of a tenant mapping (override, preview), in ms. */
  mappingTimeoutMs: number;
  /** Budget of a subscription filter, in ms. */
  filterTimeoutMs: number;
}

/** What a worker is asked to do (see `sandbox-worker.ts`). */
export interface SandboxRequest {
  id: number;
  name: string;
  source: string;
  input: unknown;
  bindings: Record<string, unknown> | undefined;
  timeoutMs: number;
}

/** What a worker answers. */
export type SandboxReply = { id: number; ok: true; value: unknown } | { id: number; ok: false; code: ErrorCode; message: string };

/** What a worker says once its modules are loaded and it can take work. */
export type SandboxReady = 'ready';

const DEFAULTS: SandboxOptions = { workers: 2, perTenant: 1, queuePerTenant: 64, memoryMb: 128, graceMs: 250, mappingTimeoutMs: 1_000, filterTimeoutMs: 100 };

/** Workers that die before they are ready, in a row, before waiting jobs are failed instead of retried. */
const MAX_START_FAILURES = 3;

interface Job {
  tenant: string;
  request: Omit<SandboxRequest, 'id'>;
  resolve(value: unknown): void;
  reject(error: SwitchyardError): void;
}

interface Slot {
  child: ChildProcess;
  ready: boolean;
  job?: Job & { id: number; timer: NodeJS.Timeout };
  /** Set once the worker is being replaced, so a late message or exit is ignored. */
  retired?: boolean;
  /** The end of its stderr, for the error when it cannot start (never forwarded per job). */
  stderr: string;
}

/**
 * Evaluates the JSONata tenants write — mapping overrides, previews, subscription filters — in a
 * small pool of worker processes, so no expression can hold the event loop the hub's HTTP and bus
 * work run on, nor exhaust its heap. Each evaluation has a hard deadline (its budget plus a grace):
 * past it the worker is killed and replaced, whatever the expression was doing. Each tenant holds at
 * most `perTenant` workers and queues at most `queuePerTenant` expressions, served round-robin, so a
 * hostile tenant waits behind itself, never in front of the others. Processes rather than threads: a
 * V8 heap-limit failure in a worker thread can abort the whole process; in a child it costs the child.
 * Workers start with an empty environment (no secrets to find). Shipped mappings stay on the
 * in-process {@link MappingEngine}: they are ours, reviewed, and on the hot path.
 */
export class ExpressionSandbox {
  readonly #options: SandboxOptions;
  readonly #file: string;
  readonly #slots = new Set<Slot>();
  readonly #idle: Slot[] = [];
  /** Waiting jobs by tenant; Map order is the round-robin order (a served tenant moves to the end). */
  readonly #queues = new Map<string, Job[]>();
  readonly #running = new Map<string, number>();
  #nextId = 1;
  #restarts = 0;
  #startFailures = 0;
  #closed = false;

  constructor(options: Partial<SandboxOptions> = {}) {
    this.#options = { ...DEFAULTS, ...options };
    this.#file = workerFile();
  }

  /** An evaluator for one tenant's (environment's) mappings: overrides and previews. */
  mappings(tenant: string): ExpressionEvaluator {
    return this.forTenant(tenant, this.#options.mappingTimeoutMs);
  }

  /** An evaluator for one tenant's subscription filters, on the smaller filter budget. */
  filters(tenant: string): ExpressionEvaluator {
    return this.forTenant(tenant, this.#options.filterTimeoutMs);
  }

  /** An evaluator for one tenant's expressions, each bounded by `timeoutMs`. */
  forTenant(tenant: string, timeoutMs: number): ExpressionEvaluator {
    return { evaluate: (name, source, input, bindings) => this.evaluate(tenant, { name, source, input, bindings, timeoutMs }) };
  }

  /** Evaluates one expression for `tenant`; rejects with a coded error (timeout, busy, failed). */
  evaluate(tenant: string, request: Omit<SandboxRequest, 'id'>): Promise<unknown> {
    if (this.#closed) return Promise.reject(new SwitchyardError('SWY_ERR_MAPPING_BUSY', `${request.name}: the expression sandbox is shutting down`));
    const queue = this.#queues.get(tenant) ?? [];
    if (queue.length >= this.#options.queuePerTenant) {
      return Promise.reject(
        new SwitchyardError('SWY_ERR_MAPPING_BUSY', `${request.name}: ${queue.length} expressions of this environment are already waiting; retry later`),
      );
    }
    return new Promise((resolve, reject) => {
      queue.push({ tenant, request, resolve, reject });
      this.#queues.set(tenant, queue);
      this.#pump();
    });
  }

  /** Workers running or starting, those not idle, jobs waiting and workers replaced so far. */
  stats(): { workers: number; busy: number; queued: number; restarts: number } {
    let queued = 0;
    for (const queue of this.#queues.values()) queued += queue.length;
    return { workers: this.#slots.size, busy: this.#slots.size - this.#idle.length, queued, restarts: this.#restarts };
  }

  /** Fails waiting and running jobs and stops the workers. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#failWaiting((job) => new SwitchyardError('SWY_ERR_MAPPING_BUSY', `${job.request.name}: the expression sandbox closed`));
    const slots = [...this.#slots];
    this.#slots.clear();
    this.#idle.length = 0;
    await Promise.all(
      slots.map((slot) => {
        slot.retired = true;
        if (slot.job) this.#finish(slot, new SwitchyardError('SWY_ERR_MAPPING_BUSY', `${slot.job.request.name}: the expression sandbox closed`));
        return kill(slot.child);
      }),
    );
  }

  /** Hands waiting jobs to free workers, one tenant after another. */
  #pump(): void {
    while (!this.#closed) {
      const tenant = this.#nextTenant();
      if (tenant === undefined) return;
      const slot = this.#idle.pop();
      if (!slot) {
        // Start a worker if the pool has room; it takes work once it says it is ready.
        if (this.#slots.size < this.#options.workers) this.#spawn();
        return;
      }
      const queue = this.#queues.get(tenant)!;
      const job = queue.shift()!;
      this.#queues.delete(tenant);
      if (queue.length > 0) this.#queues.set(tenant, queue); // to the back of the round
      this.#dispatch(slot, job);
    }
  }

  #nextTenant(): string | undefined {
    for (const tenant of this.#queues.keys()) if ((this.#running.get(tenant) ?? 0) < this.#options.perTenant) return tenant;
    return undefined;
  }

  #dispatch(slot: Slot, job: Job): void {
    const id = this.#nextId++;
    const deadlineMs = job.request.timeoutMs + this.#options.graceMs;
    const timer = setTimeout(() => {
      this.#replace(slot, new SwitchyardError('SWY_ERR_MAPPING_TIMEOUT', `${job.request.name}: still running after ${deadlineMs} ms (budget ${job.request.timeoutMs} ms); stopped`));
    }, deadlineMs);
    slot.job = { ...job, id, timer };
    slot.child.channel?.ref(); // an evaluation in flight keeps the process alive, an idle worker does not
    this.#running.set(job.tenant, (this.#running.get(job.tenant) ?? 0) + 1);
    try {
      slot.child.send({ id, ...job.request } satisfies SandboxRequest, (error) => {
        if (error) this.#replace(slot, new SwitchyardError('SWY_ERR_MAPPING_FAILED', `${job.request.name}: the evaluating worker is gone`));
      });
    } catch (error) {
      // Input that cannot be copied to a worker (never JSON from a webhook; a caller's mistake).
      this.#finish(slot, new SwitchyardError('SWY_ERR_MAPPING_FAILED', `${job.request.name}: input cannot be evaluated: ${(error as Error).message}`));
      this.#release(slot);
    }
  }

  #spawn(): void {
    const child = fork(this.#file, [], {
      // Not the parent's flags (`--conditions=development` would load TypeScript sources) and not its
      // environment (secrets): the worker needs neither.
      execArgv: [`--max-old-space-size=${this.#options.memoryMb}`, ...process.execArgv.filter((flag) => flag === '--enable-source-maps')],
      env: {},
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    const slot: Slot = { child, ready: false, stderr: '' };
    // The process and its IPC channel keep our process alive only while the worker starts (someone is
    // waiting for it) or evaluates; an idle worker must not hold a finished CLI or test open.
    child.unref();
    child.stderr?.on('data', (chunk: Buffer) => (slot.stderr = (slot.stderr + chunk.toString()).slice(-2_000)));
    (child.stderr as { unref?: () => void } | null)?.unref?.();
    child.on('message', (reply: SandboxReply | SandboxReady) => {
      if (slot.retired) return;
      // The deadline starts with the expression, not with the worker loading its modules.
      if (reply === 'ready') {
        slot.ready = true;
        this.#startFailures = 0;
        return this.#release(slot);
      }
      if (!slot.job || slot.job.id !== reply.id) return;
      this.#finish(slot, reply.ok ? { value: reply.value } : new SwitchyardError(reply.code, reply.message));
      this.#release(slot);
    });
    child.on('error', (error) => this.#replace(slot, new SwitchyardError('SWY_ERR_MAPPING_FAILED', `${slot.job?.request.name ?? 'expression'}: the evaluating worker failed`, { cause: error })));
    child.on('exit', (_code, signal) => {
      const name = slot.job?.request.name ?? 'expression';
      const memory = signal === 'SIGABRT' || /heap out of memory|heap limit/i.test(slot.stderr);
      const detail = memory ? `needed more than ${this.#options.memoryMb} MiB; stopped` : 'the evaluating worker exited';
      this.#replace(slot, new SwitchyardError(memory ? 'SWY_ERR_MAPPING_TIMEOUT' : 'SWY_ERR_MAPPING_FAILED', `${name}: ${detail}`));
    });
    this.#slots.add(slot);
  }

  /** Settles the slot's job (a value or an error) and forgets it. */
  #finish(slot: Slot, outcome: { value: unknown } | SwitchyardError): void {
    const job = slot.job;
    if (!job) return;
    clearTimeout(job.timer);
    slot.job = undefined;
    slot.child.channel?.unref();
    const running = (this.#running.get(job.tenant) ?? 1) - 1;
    if (running > 0) this.#running.set(job.tenant, running);
    else this.#running.delete(job.tenant);
    if (outcome instanceof SwitchyardError) job.reject(outcome);
    else job.resolve(outcome.value);
  }

  #release(slot: Slot): void {
    if (slot.retired) return;
    this.#idle.push(slot);
    this.#pump();
  }

  /** Stops a worker that overran, crashed or exited, fails its job and lets a fresh one take its place. */
  #replace(slot: Slot, error: SwitchyardError): void {
    if (slot.retired) return;
    slot.retired = true;
    this.#finish(slot, error);
    this.#slots.delete(slot);
    const idle = this.#idle.indexOf(slot);
    if (idle >= 0) this.#idle.splice(idle, 1);
    this.#restarts++;
    void kill(slot.child);
    if (!slot.ready && ++this.#startFailures >= MAX_START_FAILURES) {
      // Workers cannot start at all (memory too small, a broken build): fail, don't spin.
      this.#startFailures = 0;
      const why = slot.stderr.trim().split('\n').slice(-3).join(' ') || 'no output';
      this.#failWaiting((job) => new SwitchyardError('SWY_ERR_INTERNAL', `${job.request.name}: tenant-expression workers cannot start (${why})`));
      return;
    }
    this.#pump();
  }

  #failWaiting(error: (job: Job) => SwitchyardError): void {
    for (const queue of this.#queues.values()) for (const job of queue) job.reject(error(job));
    this.#queues.clear();
  }
}

/** Kills a worker and resolves once it is gone (at once if it already is). */
function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.ref(); // whoever awaits this waits for the exit, even with nothing else keeping the process up
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

/**
 * The worker's script. Run from sources (vitest, tsx) this module is `.ts` and Node cannot run a `.ts`
 * worker, so it uses the built one: `npm run build` (part of `npm test` and `npm start`) makes it.
 */
function workerFile(): string {
  const here = import.meta.url;
  const file = fileURLToPath(here.endsWith('.ts') ? new URL('../dist/sandbox-worker.js', here) : new URL('./sandbox-worker.js', here));
  if (!existsSync(file)) throw new SwitchyardError('SWY_ERR_INTERNAL', `expression sandbox worker ${file} is not built; run npm run build`);
  return file;
}
