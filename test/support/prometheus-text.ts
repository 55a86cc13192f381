/**
 * Prometheus text exposition, read the way the tests need it: every sample by its series
 * (`name{label="value",...}`, labels sorted), and every metric name the text declares.
 */
export interface Scrape {
  /** The value of one series; undefined when the text has no such sample. */
  value(name: string, labels?: Record<string, string>): number | undefined;
  /** Every sample: series → value. */
  samples: Map<string, number>;
  /** Names a PromQL query may use: declared families, their histogram/summary series, and every sampled name. */
  names: Set<string>;
}

export function seriesKey(name: string, labels: Record<string, string> = {}): string {
  const parts = Object.entries(labels)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}="${v}"`);
  return parts.length ? `${name}{${parts.join(',')}}` : name;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parseScrape(text: string): Scrape {
  const samples = new Map<string, number>();
  const names = new Set<string>();
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) {
      const [, name = '', kind] = type;
      names.add(name);
      if (kind === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(name + suffix);
      if (kind === 'summary') for (const suffix of ['_sum', '_count']) names.add(name + suffix);
      continue;
    }
    if (line.startsWith('#') || line.trim() === '') continue;
    const match = SAMPLE.exec(line);
    if (!match) throw new Error(`not a Prometheus sample line: ${line}`);
    const [, name = '', rawLabels = '', value = ''] = match;
    const labels: Record<string, string> = {};
    for (const [, key = '', labelValue = ''] of rawLabels.matchAll(LABEL)) labels[key] = labelValue;
    names.add(name);
    samples.set(seriesKey(name, labels), Number(value));
  }
  return {
    samples,
    names,
    value: (name, labels) => samples.get(seriesKey(name, labels)),
  };
}
