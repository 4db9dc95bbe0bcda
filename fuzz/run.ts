/**
 * Long fuzz campaigns: `npm run fuzz -- --cases N [--target NAME] [--seed S] [--report FILE]`.
 * Each target runs in a child process the parent watches: a case that makes no progress
 * for --hang-ms is a hang, a child that dies (out of memory, abort) is a crash; either
 * way the child is replaced and the campaign resumes at the next case. Prints per target:
 * cases, typed errors, other outcomes, hangs, crashes, max time and max RSS.
 */
import { fork } from 'child_process';
import type { ChildProcess } from 'child_process';
import { promises as fs } from 'fs';
import { DEFAULT_RSS_MB, DEFAULT_TIME_MS, emptyStats, record, runCampaign } from './harness';
import type { CaseOutcome, TargetStats } from './harness';
import { TARGETS } from './targets';

interface Args {
  cases: number;
  seed: number;
  targets: string[];
  from: number;
  timeMs: number;
  rssMB: number;
  hangMs: number;
  report?: string;
  worker: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { cases: 1000, seed: 1, targets: [], from: 0, timeMs: DEFAULT_TIME_MS, rssMB: DEFAULT_RSS_MB, hangMs: 30_000, worker: false };
  for (let i = 0; i < argv.length; i++) {
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${argv[i - 1]} needs a value`);
      return v;
    };
    const number = () => {
      const n = Number(value());
      if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${argv[i - 1]} needs a whole number`);
      return n;
    };
    switch (argv[i]) {
      case '--cases': args.cases = number(); break;
      case '--seed': args.seed = number(); break;
      case '--target': args.targets.push(value()); break;
      case '--from': args.from = number(); break;
      case '--time-ms': args.timeMs = number(); break;
      case '--rss-mb': args.rssMB = number(); break;
      case '--hang-ms': args.hangMs = number(); break;
      case '--report': args.report = value(); break;
      case '--worker': args.worker = true; break;
      default: throw new Error(`unknown option ${argv[i]} (options: --cases N --target NAME --seed S --from I --time-ms T --rss-mb M --hang-ms H --report FILE)`);
    }
  }
  const unknown = args.targets.filter((t) => !TARGETS.some((x) => x.name === t));
  if (unknown.length > 0) throw new Error(`unknown target ${unknown.join(', ')} (targets: ${TARGETS.map((t) => t.name).join(', ')})`);
  if (args.targets.length === 0) args.targets = TARGETS.map((t) => t.name);
  return args;
}

/** Time a new child gets before its first case must be done. */
const STARTUP_MS = 180_000;

type Message = { index: number; outcome: CaseOutcome } | { done: true };

/** In the child: runs the cases and reports each one to the parent. */
async function worker(args: Args): Promise<void> {
  const target = TARGETS.find((t) => t.name === args.targets[0])!;
  process.once('disconnect', () => process.exit(0)); // the watching parent is gone
  await runCampaign(target, {
    seed: args.seed, cases: args.cases, from: args.from, timeMs: args.timeMs, rssMB: args.rssMB,
    onCase: (index, outcome) => process.send!({ index, outcome } satisfies Message),
  });
  process.send!({ done: true } satisfies Message, () => process.exit(0));
}

function spawnWorker(args: Args, target: string, from: number, cases: number): ChildProcess {
  const argv = ['--worker', '--target', target, '--seed', String(args.seed), '--from', String(from), '--cases', String(cases), '--time-ms', String(args.timeMs), '--rss-mb', String(args.rssMB)];
  return fork(__filename, argv, { execArgv: ['-r', 'ts-node/register/transpile-only', '--max-old-space-size=2048', '--stack-size=984'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
}

/** Runs [from, end) in children until every case has an outcome, replacing hung or dead ones. */
async function watch(args: Args, target: string, stats: TargetStats): Promise<TargetStats> {
  const end = args.from + args.cases;
  let next = args.from;
  while (next < end) {
    next = await new Promise<number>((resolve) => {
      const child = spawnWorker(args, target, next, end - next);
      let at = next;
      let finished = false;
      // Starting a child (ts-node, seeds, target setup) takes longer than a case on a loaded machine.
      let timer = setTimeout(onHang, Math.max(args.hangMs, STARTUP_MS));
      function onHang() {
        finished = true;
        child.kill('SIGKILL');
        stats.cases++;
        stats.counts.hang++;
        stats.failures.push({ index: at, kind: 'hang', message: `no progress for ${args.hangMs} ms` });
        resolve(at + 1);
      }
      child.on('message', (m: Message) => {
        if ('done' in m) return;
        clearTimeout(timer);
        record(stats, m.index, m.outcome);
        at = m.index + 1;
        if (at % 1000 === 0) process.stderr.write(`${target}: ${at - args.from}/${args.cases}\n`);
        timer = setTimeout(onHang, args.hangMs);
      });
      child.on('exit', (code, signal) => {
        clearTimeout(timer);
        if (finished) return;
        finished = true;
        if (at < end) {
          stats.cases++;
          stats.counts.crash++;
          stats.failures.push({ index: at, kind: 'crash', message: `worker exited (${signal ?? code})` });
          resolve(at + 1);
        } else resolve(end);
      });
    });
  }
  return stats;
}

function table(all: TargetStats[]): string {
  const head = ['target', 'cases', 'ok', 'typed', 'untyped', 'no hint', 'input modified', 'slow', 'memory', 'hangs', 'crashes', 'max ms', 'max case RSS growth MB', 'worker peak RSS MB'];
  const rows = all.map((s) => [s.target, s.cases, s.counts.ok, s.counts.typed, s.counts.untyped, s.counts['no-hint'], s.counts['input-modified'], s.counts.slow, s.counts.memory, s.counts.hang, s.counts.crash, s.maxMs.toFixed(0), s.maxCaseRssMB.toFixed(0), s.peakRssMB.toFixed(0)]);
  return [head, head.map(() => '---'), ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');
}

function summary(args: Args, all: TargetStats[]): string {
  const lines = [`seed ${args.seed}, cases from ${args.from}, bounds ${args.timeMs} ms / ${args.rssMB} MB per case, hang after ${args.hangMs} ms`, '', table(all), ''];
  for (const s of all) for (const f of s.failures) lines.push(`${s.target} #${f.index} ${f.kind}: ${f.message.split('\n')[0]}`);
  return lines.join('\n');
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.worker) return worker(args);
  const all: TargetStats[] = [];
  // Interrupted (Ctrl-C, or a deadline): report the cases run so far, the current target's included.
  process.once('SIGINT', () => {
    console.log(`(interrupted)\n${summary(args, all)}`);
    process.exit(130);
  });
  for (const target of args.targets) {
    const t0 = Date.now();
    const stats = emptyStats(target, args.seed);
    all.push(stats);
    await watch(args, target, stats);
    process.stderr.write(`${target}: done in ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
  }
  console.log(summary(args, all));
  if (args.report) await fs.writeFile(args.report, JSON.stringify(all, null, 2));
  const broken = all.some((s) => s.cases !== s.counts.ok + s.counts.typed);
  process.exitCode = broken ? 1 : 0;
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(2);
});
