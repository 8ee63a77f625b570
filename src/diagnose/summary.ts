/** The verdict paragraph: what the device is and does, in plain words with the numbers behind it. */
import type { Context } from './context.js';
import type { Behaviour, DeviceKind } from './types.js';

export function summarize(ctx: Context, kind: DeviceKind, behaviours: readonly Behaviour[]): string {
  const c = ctx.c;
  const head =
    kind === 'unknown'
      ? 'No connection could be followed through the device.'
      : `The device behaves as a ${kind} device: ${c.pairs.length} client connections paired with server-side connections.`;
  return [head, ...behaviours.map((b) => `${capitalize(b.detail)}.`)].join(' ');
}

function capitalize(s: string): string {
  return s.length === 0 ? s : s[0]!.toUpperCase() + s.slice(1);
}
