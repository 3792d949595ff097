/**
 * Summarises a V8 `.cpuprofile` (written by `node --cpu-prof`) for `request.ts`: self time per function
 * and per "area" (a package under node_modules, a Switchyard service, Node internals, GC, idle), so a
 * run can say where the hub's time goes without opening DevTools.
 */
import { readFile } from 'node:fs/promises';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface ProfileSummary {
  file: string;
  totalMs: number;
  /** Share of sampled time per area, largest first (idle included, so the shares add up to 100 %). */
  areas: Array<{ area: string; ms: number; share: number }>;
  /** Functions with the most self time, idle and GC excluded. */
  topFunctions: Array<{ fn: string; where: string; ms: number; share: number }>;
}

/** The area a frame's script belongs to: `pkg:<name>`, `switchyard:<workspace>`, `node:internal`, or a V8 pseudo-frame. */
function areaOf(url: string, functionName: string): string {
  if (url === '') {
    if (functionName === '(idle)') return '(idle)';
    if (functionName === '(garbage collector)') return '(gc)';
    if (functionName === '(program)') return '(program)';
    return '(native)';
  }
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return `pkg:${pkg[1]}`;
  const own = /\/(services\/[^/]+|contracts)\//.exec(url);
  if (own) return `switchyard:${own[1]}`;
  if (url.startsWith('node:')) return 'node:internal';
  return url;
}

/** Reads and summarises one profile; `top` bounds the function list. */
export async function summarizeCpuProfile(file: string, top = 15): Promise<ProfileSummary> {
  const profile = JSON.parse(await readFile(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map<number, number>();
  // timeDeltas[i] is the gap before sample i; attributing it to sample i is what DevTools does.
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  let totalUs = 0;
  const areas = new Map<string, number>();
  const functions = new Map<string, { fn: string; where: string; us: number }>();
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)?.callFrame;
    if (!frame) continue;
    totalUs += us;
    const area = areaOf(frame.url, frame.functionName);
    areas.set(area, (areas.get(area) ?? 0) + us);
    if (area === '(idle)' || area === '(gc)' || area === '(program)') continue;
    const where = frame.url === '' ? '' : `${frame.url.replace(/^.*?(node_modules\/|services\/|contracts\/)/, '$1')}:${frame.lineNumber + 1}`;
    const key = `${frame.functionName}@${where}`;
    const entry = functions.get(key) ?? { fn: frame.functionName || '(anonymous)', where, us: 0 };
    entry.us += us;
    functions.set(key, entry);
  }
  const share = (us: number) => (totalUs > 0 ? us / totalUs : 0);
  return {
    file,
    totalMs: totalUs / 1000,
    areas: [...areas].sort((a, b) => b[1] - a[1]).map(([area, us]) => ({ area, ms: us / 1000, share: share(us) })),
    topFunctions: [...functions.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .map((f) => ({ fn: f.fn, where: f.where, ms: f.us / 1000, share: share(f.us) })),
  };
}
