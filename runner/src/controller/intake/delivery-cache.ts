/** Remembers recent `X-GitHub-Delivery` ids (bounded, oldest evicted) so a redelivered webhook is handled once. */
export class DeliveryCache {
  private readonly seen = new Map<string, number>();

  constructor(private readonly capacity = 10_000) {}

  /** True the first time `id` is seen. */
  firstTime(id: string): boolean {
    if (this.seen.has(id)) return false;
    this.seen.set(id, Date.now());
    if (this.seen.size > this.capacity) this.seen.delete(this.seen.keys().next().value!);
    return true;
  }
}
