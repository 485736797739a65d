/** Patch helpers: client-node needs the patch content type set per call. */
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';

export const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
/** Server-side apply: creates or updates an object whole in one request (needs a fieldManager). */
export const serverSideApply = setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply);

/**
 * RFC 3339 with exactly six fractional digits, as Kubernetes MicroTime fields (Lease renewTime, Event eventTime)
 * require; Date#toISOString's three digits are rejected. Send it in a merge patch (the typed serializer would
 * turn it back into a Date).
 */
export function microTime(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}
