/**
 * Verification policies (`dualcap verify --policy FILE`, docs/verify.md): what a device must and must not
 * do, as JSON or YAML, checked with zod. Unknown keys are errors, so a misspelt rule fails loudly instead of
 * silently checking nothing. Every problem names the field ("latency.p99: ...").
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { BEHAVIOUR_IDS, DEVICE_KINDS } from '../diagnose/types.js';
import { parseDuration } from './analyze.js';
import { UsageError } from './output.js';
import { parseYaml, YamlError } from './yaml.js';

export const POLICY_SCHEMA = 'dualcap.policy/1';

/** The kinds a user can expect (never "unknown"). */
export const EXPECTABLE_KINDS = DEVICE_KINDS.filter((k) => k !== 'unknown');

const behaviourList = z.array(z.enum(BEHAVIOUR_IDS));

/** A duration: "2ms", "1.5s", "250us", or a number of seconds; parsed to ns. */
const duration = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const ns = typeof v === 'number' ? (Number.isFinite(v) && v >= 0 ? v * 1e9 : null) : parseDuration(v);
  if (ns === null || ns < 0) {
    ctx.addIssue({
      code: 'custom',
      message: `expected a duration such as "2ms", "1.5s", "250us" or seconds as a number, got ${JSON.stringify(v)}`,
    });
    return z.NEVER;
  }
  return ns;
});

const share = z.number().min(0).max(1);

export const policySchema = z.strictObject({
  schema: z.literal(POLICY_SCHEMA).optional(),
  /** The device kind the verdict must be. */
  kind: z.enum(EXPECTABLE_KINDS as [string, ...string[]]).optional(),
  behaviours: z
    .strictObject({
      /** When given, every reported behaviour must be in this list. */
      allowed: behaviourList.optional(),
      /** None of these may be reported. */
      forbidden: behaviourList.optional(),
      /** All of these must be reported. */
      required: behaviourList.optional(),
    })
    .optional(),
  /** Highest added delay: every pair's median (p50) and 99th percentile (p99), per direction. */
  latency: z.strictObject({ p50: duration.optional(), p99: duration.optional() }).optional(),
  /** Highest share of forwarded packets dropped: dropped / (matched + dropped), both directions. */
  maxDropRate: share.optional(),
  /** Lowest share of client-side connections paired with a server-side connection. */
  minPairedShare: share.optional(),
});

export type Policy = z.infer<typeof policySchema>;

/** Zod's issues as "field: problem" lines. */
function issuesText(error: z.ZodError): string {
  return error.issues
    .map((i) => {
      const path = i.path.map(String).join('.') || '(top level)';
      if (i.code === 'unrecognized_keys') {
        const keys = (i as { keys: string[] }).keys;
        return `${path === '(top level)' ? '' : `${path}: `}unknown field${keys.length > 1 ? 's' : ''} ${keys.join(', ')}`;
      }
      return `${path}: ${i.message}`;
    })
    .join('; ');
}

/** Parses policy text (JSON when it starts with "{", else YAML); a problem is a UsageError naming the field. */
export function parsePolicy(text: string, name: string): Policy {
  let value: unknown;
  const trimmed = text.trim();
  try {
    value = trimmed.startsWith('{') ? JSON.parse(trimmed) : parseYaml(text);
  } catch (e) {
    if (e instanceof YamlError || e instanceof SyntaxError)
      throw new UsageError(
        `policy ${name}: not valid ${trimmed.startsWith('{') ? 'JSON' : 'YAML'}: ${e.message}`,
      );
    throw e;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new UsageError(`policy ${name}: expected a mapping of rules (kind, behaviours, latency, ...)`);
  const parsed = policySchema.safeParse(value);
  if (!parsed.success) throw new UsageError(`policy ${name}: ${issuesText(parsed.error)}`);
  if (Object.keys(parsed.data).filter((k) => k !== 'schema').length === 0)
    throw new UsageError(
      `policy ${name}: no rules (give kind, behaviours, latency, maxDropRate or minPairedShare)`,
    );
  return parsed.data;
}

export function readPolicy(path: string): Policy {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(`policy ${path}: ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  return parsePolicy(text, path);
}
