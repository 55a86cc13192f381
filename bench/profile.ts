import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** `node --cpu-prof` for the service: it writes a .cpuprofile into `dir` when it exits. */
export const cpuProfileArgs = (dir: string): string[] => ['--cpu-prof', `--cpu-prof-dir=${dir}`];

/** Now on the clock V8 stamps its samples with (CLOCK_MONOTONIC on Linux), in microseconds. */
export const profileClock = (): number => Number(process.hrtime.bigint() / 1000n);

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface CpuProfile {
  nodes: { id: number; callFrame: CallFrame; children?: number[] }[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

const where = (url: string): string => {
  if (!url) return '';
  const file = url.startsWith('file://') ? fileURLToPath(url) : url;
  return file.startsWith('/') ? path.relative(process.cwd(), file) : file;
};

/** `node_modules/@scope/pkg/...` -> `@scope/pkg`; `dist/...` -> service; `node:...` -> Node. */
function packageOf(frame: CallFrame): string {
  const file = where(frame.url);
  if (!file) return frame.functionName.startsWith('(') ? frame.functionName : '(native)';
  if (file.startsWith('node:')) return 'Node (node:*)';
  const modules = file.lastIndexOf('node_modules/');
  if (modules >= 0) {
    const [first, second] = file.slice(modules + 'node_modules/'.length).split('/');
    return first?.startsWith('@') ? `${first}/${second}` : (first ?? file);
  }
  if (file.startsWith('dist/')) return 'service (dist/)';
  return file;
}

/**
 * The top self-time entries of the .cpuprofile files in `dir` (all processes added up), counting
 * only samples inside `window` (profileClock() microseconds) when one is given and it holds any.
 */
export function summarizeProfiles(dir: string, window: { from: number; to: number } | null, top = 15): string[] {
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  if (files.length === 0) return [`  profile: no .cpuprofile in ${dir} (did the service exit cleanly?)`];
  const self = new Map<string, { frame: CallFrame; samples: number; callers: Map<string, number> }>();
  const packages = new Map<string, number>();
  let inWindow = 0;
  let total = 0;
  let idle = 0;
  let windowed = false;
  for (const file of files) {
    const profile = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as CpuProfile;
    const frames = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
    const parents = new Map<number, number>();
    for (const n of profile.nodes) for (const child of n.children ?? []) parents.set(child, n.id);
    /** The nearest caller in a package or the service (not Node's internals, not native): who asked for this. */
    const callerOf = (id: number): string => {
      for (let at = parents.get(id); at !== undefined; at = parents.get(at)) {
        const f = frames.get(at);
        const file = f ? where(f.url) : '';
        if (f && file && !file.startsWith('node:')) return `${f.functionName || '(anonymous)'} ${file}:${f.lineNumber + 1}`;
      }
      return '';
    };
    // A sample's time: startTime plus the deltas so far.
    const times: number[] = [];
    let t = profile.startTime;
    for (const delta of profile.timeDeltas) times.push((t += delta));
    const inside = (i: number) => !window || ((times[i] ?? 0) >= window.from && (times[i] ?? 0) <= window.to);
    const any = window !== null && profile.samples.some((_, i) => inside(i));
    windowed ||= any;
    profile.samples.forEach((id, i) => {
      total++;
      if (window && any && !inside(i)) return;
      const frame = frames.get(id);
      if (!frame) return;
      inWindow++;
      if (frame.functionName === '(idle)') {
        idle++;
        return;
      }
      const key = `${frame.functionName}|${frame.url}|${frame.lineNumber}|${frame.columnNumber}`;
      const entry = self.get(key) ?? { frame, samples: 0, callers: new Map<string, number>() };
      entry.samples++;
      const caller = callerOf(id);
      entry.callers.set(caller, (entry.callers.get(caller) ?? 0) + 1);
      self.set(key, entry);
      const pkg = packageOf(frame);
      packages.set(pkg, (packages.get(pkg) ?? 0) + 1);
    });
  }
  const busy = inWindow - idle;
  const pct = (n: number) => `${((n / Math.max(1, busy)) * 100).toFixed(1).padStart(5)}%`;
  const lines = [
    `  profile of the service: ${files.map((f) => path.join(dir, f)).join(', ')} (open in Chrome DevTools: Performance > Load profile)`,
    `  ${windowed ? `${inWindow} of ${total} samples, those taken during the timed run` : `all ${total} samples (start-up and seeding included)`}: ` +
      `${busy} busy, ${idle} idle; top ${top} by self time, % of busy samples:`,
  ];
  for (const { frame, samples, callers } of [...self.values()].sort((a, b) => b.samples - a.samples).slice(0, top)) {
    const file = where(frame.url);
    const place = file ? `${file}:${frame.lineNumber + 1}` : frame.functionName.startsWith('(') ? '' : '(native: C++ or a system call)';
    lines.push(`    ${pct(samples)}  ${(frame.functionName || '(anonymous)').padEnd(36)} ${place}`);
    // Where it is called from, when that is not the function's own package or the service.
    const [caller, n] = [...callers].sort((a, b) => b[1] - a[1])[0] ?? ['', 0];
    if (caller && (!file || file.startsWith('node:'))) lines.push(`            ${' '.repeat(36)} mostly (${((n / samples) * 100).toFixed(0)}%) for ${caller}`);
  }
  lines.push('  self time by package, % of busy samples:');
  lines.push(
    `    ${[...packages]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 10)
      .map(([name, n]) => `${name} ${pct(n).trim()}`)
      .join(', ')}`,
  );
  return lines;
}
