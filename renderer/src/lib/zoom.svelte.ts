// Zoom and pan of the detail view's photo, shared by the panes shown side by side so they move together.
export const MAX_ZOOM = 8;

export class Zoom {
  scale = $state(1);
  x = $state(0);
  y = $state(0);

  readonly transform = $derived(`translate(${this.x}px, ${this.y}px) scale(${this.scale})`);

  /** Zooms by `factor` keeping the point (px, py), in pane pixels, where it is. */
  zoomAt(factor: number, px: number, py: number): void {
    const next = Math.min(Math.max(this.scale * factor, 1), MAX_ZOOM);
    if (next === 1) return this.reset();
    const ratio = next / this.scale;
    this.x = px - (px - this.x) * ratio;
    this.y = py - (py - this.y) * ratio;
    this.scale = next;
  }

  pan(dx: number, dy: number): void {
    if (this.scale === 1) return;
    this.x += dx;
    this.y += dy;
  }

  reset(): void {
    this.scale = 1;
    this.x = 0;
    this.y = 0;
  }
}
