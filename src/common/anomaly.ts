/**
 * Named anomalies ("weirds", in Zeek's words): malformed or surprising input is never thrown, it is
 * counted under a stable dotted id and, for the first few occurrences, kept with where it happened.
 * Every id is listed in docs/anomalies.md; keep the two in sync.
 */

export type Severity = 'error' | 'warning' | 'note';

export interface AnomalyDef {
  id: string;
  severity: Severity;
  /** One plain sentence, shared by text, JSON and HTML output. */
  text: string;
}

const catalogue = new Map<string, AnomalyDef>();

/** Register an anomaly id once, at module load. Returns the id so modules can keep it as a constant. */
export function defineAnomaly(id: string, severity: Severity, text: string): string {
  const prev = catalogue.get(id);
  if (prev && (prev.severity !== severity || prev.text !== text)) {
    throw new Error(`anomaly ${id} defined twice with different meanings`);
  }
  catalogue.set(id, { id, severity, text });
  return id;
}

export function anomalyDef(id: string): AnomalyDef | undefined {
  return catalogue.get(id);
}

export function allAnomalies(): AnomalyDef[] {
  return [...catalogue.values()].sort((a, b) => a.id.localeCompare(b.id));
}

/** Where an anomaly happened. Every field is optional; give what is known. */
export interface AnomalyWhere {
  /** 1-based packet number in its file. */
  packet?: number;
  /** Byte offset in the (decompressed) file. */
  offset?: number;
  /** Free text with the values seen, e.g. "caplen 4294967295 > 262144". */
  detail?: string;
}

export interface AnomalyExample extends AnomalyWhere {
  id: string;
}

export interface AnomalyCount {
  id: string;
  severity: Severity;
  count: number;
  text: string;
  examples: AnomalyExample[];
}

/** Per-file anomaly counter. Bounded: keeps at most `maxExamples` examples per id. */
export class AnomalyLog {
  private readonly counts = new Map<string, AnomalyCount>();
  constructor(private readonly maxExamples = 5) {}

  add(id: string, where?: AnomalyWhere): void {
    let c = this.counts.get(id);
    if (!c) {
      const def = catalogue.get(id);
      c = { id, severity: def?.severity ?? 'warning', count: 0, text: def?.text ?? id, examples: [] };
      this.counts.set(id, c);
    }
    c.count++;
    if (c.examples.length < this.maxExamples && where) c.examples.push({ id, ...where });
  }

  count(id: string): number {
    return this.counts.get(id)?.count ?? 0;
  }

  get total(): number {
    let n = 0;
    for (const c of this.counts.values()) n += c.count;
    return n;
  }

  /** Sorted by id, for stable output. */
  list(): AnomalyCount[] {
    return [...this.counts.values()].sort((a, b) => a.id.localeCompare(b.id));
  }
}
