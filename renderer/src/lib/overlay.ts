// A Svelte attachment that paints a heatmap onto a canvas laid over its photo. It draws at the canvas's
// on-screen size (device pixels, capped at 2×), redraws when that size changes, and only once the canvas
// comes near the viewport, so a gallery of thousands stays cheap.
import type { Attachment } from 'svelte/attachments';
import type { Heatmap } from '../../../common/types';
import { fitRect, overlayPixels } from './heatmap';

export interface OverlaySource {
  heatmap: Heatmap;
  /** The photo's size, to place the map where CSS object-fit puts the photo; null: fill the canvas. */
  imageWidth: number | null;
  imageHeight: number | null;
  fit: 'cover' | 'contain';
}

export function heatmapOverlay(source: OverlaySource): Attachment<HTMLCanvasElement> {
  return (canvas) => {
    let near = false;
    let frame = 0;
    let drawnSize = '';

    const draw = (): void => {
      const ratio = Math.min(window.devicePixelRatio || 1, 2);
      const width = Math.round(canvas.clientWidth * ratio);
      const height = Math.round(canvas.clientHeight * ratio);
      const size = `${width}x${height}`;
      if (width === 0 || height === 0 || size === drawnSize) return;
      const context = canvas.getContext('2d');
      if (!context) return;
      canvas.width = width;
      canvas.height = height;
      const rect = fitRect(width, height, source.imageWidth, source.imageHeight, source.fit);
      context.putImageData(new ImageData(overlayPixels(source.heatmap, width, height, rect), width, height), 0, 0);
      drawnSize = size;
      canvas.dataset.drawn = 'true';
    };
    const schedule = (): void => {
      if (!near) return;
      cancelAnimationFrame(frame);
      frame = requestAnimationFrame(draw);
    };

    const resize = new ResizeObserver(schedule);
    const visibility = new IntersectionObserver(
      (entries) => {
        near = entries.some((entry) => entry.isIntersecting);
        schedule();
      },
      { rootMargin: '600px' },
    );
    resize.observe(canvas);
    visibility.observe(canvas);
    return () => {
      cancelAnimationFrame(frame);
      resize.disconnect();
      visibility.disconnect();
    };
  };
}
