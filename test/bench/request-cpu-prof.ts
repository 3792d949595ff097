/**
 * A preload for `request.ts` (`NODE_OPTIONS=--import <this file>`): Node 20 refuses `--cpu-prof` in
 * NODE_OPTIONS and `spawnHub` takes no execArgv, so this starts the V8 sampling profiler through
 * `node:inspector` instead and writes a `.cpuprofile` into BENCH_CPU_PROF_DIR when the process is told
 * to stop (SIGTERM/SIGINT) or exits. Only the hub child gets it.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';

const dir = process.env.BENCH_CPU_PROF_DIR;
if (dir) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  // 500 µs: twice the sampling rate of --cpu-prof's default, since a single read costs well under 1 ms.
  session.post('Profiler.setSamplingInterval', { interval: 500 });
  session.post('Profiler.start');
  let written = false;
  const write = () => {
    if (written) return;
    written = true;
    // Same-thread inspector sessions answer synchronously, so this works inside an 'exit' handler too.
    session.post('Profiler.stop', (error, result) => {
      if (error || !result) return;
      writeFileSync(join(dir, `hub-${process.pid}.cpuprofile`), JSON.stringify(result.profile));
    });
  };
  // Registered before the hub's own handlers, so the profile is taken before shutdown work begins.
  process.prependListener('SIGTERM', write);
  process.prependListener('SIGINT', write);
  process.on('exit', write);
}
