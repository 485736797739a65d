/**
 * Remembers recent `X-GitHub-Delivery` ids on this replica (bounded, oldest evicted): a redelivery is answered
 * without a round trip to the API server. Only ids kept for good are remembered (`remember` after the intake took
 * them), so a delivery refused with 503 is taken when it comes again. Across replicas, redeliveries are recognised by
 * the delivery's object in Kubernetes (delivery-inbox.ts).
 */
export class DeliveryCache {
  private readonly ids = new Map<string, number>();

  constructor(private readonly capacity = 10_000) {}

  seen(id: string): boolean {
    return this.ids.has(id);
  }

  remember(id: string): void {
    if (this.ids.has(id)) return;
    this.ids.set(id, Date.now());
    if (this.ids.size > this.capacity) this.ids.delete(this.ids.keys().next().value!);
  }
}
