// How heatmaps are drawn over photos. Changing any of these repaints from the stored maps; nothing is recomputed.
import type { ColormapName } from './colormaps';
import type { OverlayPrefs } from './preferences';

export const OPACITY_STEP = 0.1;

export class OverlaySettings {
  visible = $state(true);
  opacity = $state(0.45);
  colormap = $state<ColormapName>('turbo');
  threshold = $state(100);
  scale = $state<'image' | 'dataset'>('image');

  constructor(prefs: OverlayPrefs) {
    this.restore(prefs);
  }

  restore(prefs: OverlayPrefs): void {
    this.visible = prefs.visible;
    this.opacity = prefs.opacity;
    this.colormap = prefs.colormap;
    this.threshold = prefs.threshold;
    this.scale = prefs.scale;
  }

  get prefs(): OverlayPrefs {
    return { visible: this.visible, opacity: this.opacity, colormap: this.colormap, threshold: this.threshold, scale: this.scale };
  }

  toggle(): void {
    this.visible = !this.visible;
  }

  /** Nudges the opacity by steps of 10 %, showing the overlay if it was hidden. */
  nudgeOpacity(steps: number): void {
    this.visible = true;
    this.opacity = Math.round(Math.min(Math.max(this.opacity + steps * OPACITY_STEP, 0.1), 1) * 100) / 100;
  }
}
