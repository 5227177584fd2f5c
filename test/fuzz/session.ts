/** One whole fuzz session: start both servers, fuzz, check the round trips, judge, stop. */
import { roundTrips } from './health.js';
import { crashReport, problems, summary } from './report.js';
import { type RunOptions, runFuzz } from './runner.js';
import { startTargets } from './target.js';

export interface SessionOptions extends RunOptions {
  readonly rssGrowthMiB: number;
}

export interface SessionResult {
  readonly passed: boolean;
  readonly text: string;
  readonly problems: readonly string[];
}

export async function fuzzSession(options: SessionOptions): Promise<SessionResult> {
  const targets = await startTargets();
  try {
    const report = await runFuzz(targets, options);
    const trips = report.crash === undefined ? await roundTrips(targets) : [];
    const found = problems(report, trips, options.rssGrowthMiB);
    const crash = await crashReport(report, targets.logins);
    const text = [summary(report, trips), crash, ...found.map((p) => `FAIL: ${p}`)]
      .filter(Boolean)
      .join('\n');
    return { passed: found.length === 0, text, problems: found };
  } finally {
    await targets.stop();
  }
}
