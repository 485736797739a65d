/** The change and event listeners a Backend passes its pods' news to (the virtual node subscribes once to each). */
import type { BackendEvent, PodRef } from './backend.js';

export class BackendListeners {
  private readonly changes: ((ref: PodRef) => void)[] = [];
  private readonly events: ((e: BackendEvent) => void)[] = [];

  onChange(listener: (ref: PodRef) => void): void {
    this.changes.push(listener);
  }

  onEvent(listener: (e: BackendEvent) => void): void {
    this.events.push(listener);
  }

  /** Something about the pod changed: listeners re-read its status. */
  changed(ref: PodRef): void {
    for (const l of this.changes) l(ref);
  }

  event(e: BackendEvent): void {
    for (const l of this.events) l(e);
  }
}
