import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const CLI = fileURLToPath(new URL('../../services/hub/dist/cli.js', import.meta.url));
const MAPPINGS = fileURLToPath(new URL('../../mappings', import.meta.url));

/** Runs the built CLI (`npx switchyard …`); resolves with exit code and output instead of throwing. */
async function switchyard(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args]);
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('switchyard CLI', () => {
  const dirs: string[] = [];
  afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

  it('mappings lint: passes on the shipped definitions and names the file of a broken one', async () => {
    const ok = await switchyard('mappings', 'lint');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/ok {2}bamboohr .*, 10\/10 expressions compiled/);
    expect(ok.stdout).toMatch(/\d+ of \d+ expressions run compiled, 0 on the jsonata interpreter/);

    const dir = await mkdtemp(join(tmpdir(), 'swy-lint-'));
    dirs.push(dir);
    await cp(join(MAPPINGS, 'bamboohr'), join(dir, 'bamboohr'), { recursive: true });
    await writeFile(join(dir, 'bamboohr', 'webhook.jsonata'), 'payload.(');
    const broken = await switchyard('mappings', 'lint', '--dir', dir);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain('bamboohr/webhook.jsonata');

    // Valid, but outside the compiled subset: it runs on the interpreter, and lint says where and why.
    await writeFile(join(dir, 'bamboohr', 'webhook.jsonata'), '$eval("[]")');
    const interpreted = await switchyard('mappings', 'lint', '--dir', dir);
    expect(interpreted.code).toBe(0);
    expect(interpreted.stdout).toMatch(/ok {2}bamboohr .*, 9\/10 expressions compiled/);
    expect(interpreted.stdout).toContain('jsonata  bamboohr/webhook.jsonata: function $eval');
  });

  it('mappings lint: fails on a webhook mapping that asks to enrich what its provider cannot get, naming the fixture', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'swy-lint-enrich-'));
    dirs.push(dir);
    await cp(join(MAPPINGS, 'bamboohr'), join(dir, 'bamboohr'), { recursive: true });
    const file = join(dir, 'bamboohr', 'provider.json');
    const definition = JSON.parse(await readFile(file, 'utf8'));
    delete definition.api.resources['hris/employees'].get; // the shipped definition minus the read its thin events need
    await writeFile(file, JSON.stringify(definition));
    const gap = await switchyard('mappings', 'lint', '--dir', dir);
    expect(gap.code).toBe(1);
    expect(gap.stdout).toMatch(/error {4}bamboohr\/fixtures\/[\w-]+\.json: hris\/employees:\w+ asks to enrich hris\/employees, which api\.resources cannot get/);
    expect(gap.stderr).toContain('SWY_ERR_CONFIG_INVALID');
  });

  it('mappings test: prints the events of a payload, with an account override deep-merged over the base', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'swy-cli-'));
    dirs.push(dir);
    const payload = join(dir, 'payload.json');
    await writeFile(payload, JSON.stringify({ employees: [{ id: '5', fields: { 'First name': { value: 'Tefi' } } }] }));
    const base = await switchyard('mappings', 'test', 'bamboohr', payload);
    expect(base.code).toBe(0);
    expect(JSON.parse(base.stdout)).toMatchObject([{ type: 'hris/employees:updated', record_id: '5', data: { first_name: 'Tefi' } }]);

    const override = join(dir, 'override.json');
    await writeFile(override, JSON.stringify({ webhook: { mapping: 'payload.employees.{"type": "hris/employees:updated", "record_id": id, "data": {"remote_id": id, "department": $dept}}', bindings: { dept: 'Ops' } } }));
    const overridden = await switchyard('mappings', 'test', 'bamboohr', payload, '--account-override', override);
    expect(JSON.parse(overridden.stdout)).toMatchObject([{ data: { remote_id: '5', department: 'Ops' } }]);
    expect(JSON.parse(overridden.stdout)[0].mapping_version).not.toBe(JSON.parse(base.stdout)[0].mapping_version);

    const unknown = await switchyard('mappings', 'test', 'nope', payload);
    expect(unknown).toMatchObject({ code: 1, stderr: expect.stringContaining('SWY_ERR_PROVIDER_UNKNOWN') });
  });
});
