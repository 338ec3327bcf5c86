// The arithmetic of the gallery's virtual grid: which rows a scroll position shows, where to draw them, and which
// scroll position shows a given tile (issue 16).
//
// Chromium caps an element's height at about 33.5 million px (2^25), so a grid of a million photos (tens of
// millions of px of rows) cannot have a spacer as tall as its rows. The scrollable height is capped at
// MAX_SCROLL_HEIGHT instead, and a scroll position maps in proportion onto the true offset in the rows: scrollTop 0
// shows row 0, the largest scrollTop shows the last row. The rows on screen are drawn near the scroll position
// (scrollTop plus their offset from the top of the viewport), never at their true pixel offset. Below the cap the
// scale is 1 and every position is the plain one.
//
// Two kinds of position: a scroll position (the scroller's scrollTop, 0 … maxScrollTop) and an offset (a y in
// the true content, rows × row height plus padding, 0 … maxOffset, the content's y at the viewport's top).

/**
 * The tallest the grid's scrollable content may be. Below Chromium's 2^25 px cap on an element's height, and
 * below 2^23 px too: Chromium keeps scroll offsets as 32-bit floats, and past 8,388,608 px only even ones exist
 * (scrollTop = 9999223 reads back 9999224), so a grid could not stop on every px it computes.
 */
export const MAX_SCROLL_HEIGHT = 8_000_000;

/** The gap between tiles and between rows, px. */
export const GRID_GAP = 14;
/** Rows drawn above and below those on screen. */
export const GRID_OVERSCAN = 1;
/** A tile's body (prediction and file name) and borders, px: the row height until a row is measured. */
export const TILE_BODY_ESTIMATE = 60;

/**
 * How many tiles a grid in a window of this size draws at most on its first screen (its rows on screen and the
 * overscan row below), counting the whole window as the grid's, so never fewer. The query asks for that many rows
 * with its answer, so the first screen draws without another call, and a large window is not short of rows.
 */
export function firstScreenTiles(windowWidth: number, windowHeight: number, tileWidth: number, cap: number): number {
  const columns = Math.max(1, Math.floor((windowWidth + GRID_GAP) / (tileWidth + GRID_GAP)));
  const rowHeight = tileWidth * 0.75 + TILE_BODY_ESTIMATE + GRID_GAP;
  const rows = Math.max(1, Math.ceil(windowHeight / rowHeight)) + GRID_OVERSCAN;
  return Math.min(cap, columns * rows);
}

export interface GridGeometry {
  /** How many tiles. */
  count: number;
  columns: number;
  /** The pitch of a row in px: its tiles and the gap below them. */
  rowHeight: number;
  /** The scroller's client height in px. */
  viewportHeight: number;
  /** Space above the first row, px. */
  paddingTop?: number;
  /** The cap on the scrollable height; MAX_SCROLL_HEIGHT unless a test asks for another. */
  maxScrollHeight?: number;
}

export interface ScrollMap {
  rows: number;
  /** The true height of the content: padding and every row. */
  contentHeight: number;
  /** The height of the scrollable content (the spacer): the true height, capped, in whole px. */
  scrollHeight: number;
  maxScrollTop: number;
  maxOffset: number;
  /** Offset px per scroll px: 1 below the cap. */
  scale: number;
}

export function scrollMap(g: GridGeometry): ScrollMap {
  const cap = g.maxScrollHeight ?? MAX_SCROLL_HEIGHT;
  const rows = g.columns > 0 ? Math.ceil(g.count / g.columns) : 0;
  const contentHeight = (g.paddingTop ?? 0) + rows * g.rowHeight;
  const scrollHeight = Math.min(Math.ceil(contentHeight), cap);
  const maxScrollTop = Math.max(0, scrollHeight - g.viewportHeight);
  const maxOffset = Math.max(0, contentHeight - g.viewportHeight);
  const scale = contentHeight > cap && maxScrollTop > 0 ? maxOffset / maxScrollTop : 1;
  return { rows, contentHeight, scrollHeight, maxScrollTop, maxOffset, scale };
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(Math.max(value, low), high);
}

/** The offset a scroll position shows. Identity below the cap; above it, in proportion, and the last px is the end. */
export function offsetFromScrollTop(g: GridGeometry, scrollTop: number): number {
  const map = scrollMap(g);
  if (map.scale === 1) return scrollTop;
  // Within a px of the end is the end: the scroller's real height may be a fraction of a px off its client height.
  if (scrollTop >= map.maxScrollTop - 1) return map.maxOffset;
  return clamp(scrollTop * map.scale, 0, map.maxOffset);
}

/**
 * The scroll position that shows `offset`, in whole px: `floor` and `ceil` choose the side to round to (floor:
 * the content lands a little lower, ceil: a little higher), so that what must be seen stays on screen.
 */
export function scrollTopFromOffset(g: GridGeometry, offset: number, round: 'floor' | 'ceil' | 'round' = 'round'): number {
  const map = scrollMap(g);
  const exact = clamp(offset, 0, map.maxOffset) / map.scale;
  // Float noise (an exact quotient a hair above a whole number) must not push ceil a whole px further.
  const nearest = Math.round(exact);
  const scrollTop = Math.abs(exact - nearest) < 1e-6 ? nearest : Math[round](exact);
  return clamp(scrollTop, 0, map.maxScrollTop);
}

/** The y of a row's top in the true content. */
export function rowTop(g: GridGeometry, row: number): number {
  return (g.paddingTop ?? 0) + row * g.rowHeight;
}

export interface RowWindow {
  /** The first and last row on screen (-1 when there is none). */
  first: number;
  last: number;
  /** The rows to draw, `from` included, `to` not: the rows on screen and `overscan` more on each side. */
  from: number;
  to: number;
  /**
   * Where row `from`'s top goes in the scrollable content: the scroll position plus its distance from the
   * viewport's top, so never far from the scroll position, in whole px above the cap (the browser keeps lengths
   * as 32-bit floats: near MAX_SCROLL_HEIGHT only half px are exact). Below the cap it is the row's own offset.
   */
  top: number;
}

/**
 * The rows seen at a scroll position. `offset` is the offset it shows (offsetFromScrollTop unless the grid holds a
 * more exact one it scrolled to itself).
 */
export function rowWindow(g: GridGeometry, scrollTop: number, offset = offsetFromScrollTop(g, scrollTop), overscan = 0): RowWindow {
  const { rows, scale } = scrollMap(g);
  if (rows === 0 || g.rowHeight <= 0) return { first: -1, last: -1, from: 0, to: 0, top: 0 };
  const pad = g.paddingTop ?? 0;
  const first = clamp(Math.floor((offset - pad) / g.rowHeight), 0, rows - 1);
  // The row holding the viewport's last px.
  const last = clamp(Math.ceil((offset + g.viewportHeight - pad) / g.rowHeight) - 1, first, rows - 1);
  const from = Math.max(0, first - overscan);
  const to = Math.min(rows, last + 1 + overscan);
  const top = scale === 1 && offset === scrollTop ? rowTop(g, from) : scrollTop + Math.round(rowTop(g, from) - offset);
  return { first, last, from, to, top };
}

/**
 * The offset that brings the row of the tile at `index` fully on screen by the shortest move ('nearest'), or
 * null when it is on screen already.
 */
export function offsetToReveal(g: GridGeometry, offset: number, index: number): number | null {
  const { rows, maxOffset } = scrollMap(g);
  if (rows === 0) return null;
  const row = clamp(Math.floor(index / g.columns), 0, rows - 1);
  const top = rowTop(g, row);
  const bottom = top + g.rowHeight;
  if (top < offset) return clamp(top, 0, maxOffset);
  if (bottom > offset + g.viewportHeight) return clamp(bottom - g.viewportHeight, 0, maxOffset);
  return null;
}

/**
 * The scroll position that brings the row of the tile at `index` fully on screen, rounded so that the row is
 * whole on screen at the offset that position maps to, or null when it is on screen already.
 */
export function scrollTopToReveal(g: GridGeometry, offset: number, index: number): number | null {
  const target = offsetToReveal(g, offset, index);
  if (target === null) return null;
  // Scrolling up aligns the row's top with the viewport's: round down so that it lands at or below the top edge;
  // scrolling down aligns its bottom: round up so that it lands at or above the bottom edge.
  const up = target < offset;
  const scrollTop = scrollTopFromOffset(g, target, up ? 'floor' : 'ceil');
  const { scale, maxScrollTop } = scrollMap(g);
  // The last px of scroll is the very end (offsetFromScrollTop), a little further than a row just above it.
  if (up && scale !== 1 && scrollTop >= maxScrollTop - 1) return Math.max(0, maxScrollTop - 2);
  return scrollTop;
}

/** What is at the viewport's top, to keep it there when the geometry changes: a tile and how far into its row. */
export interface GridAnchor {
  index: number;
  /** How far the viewport's top is into that tile's row, as a fraction of the row's height (negative in the padding). */
  fraction: number;
}

export function anchorAt(g: GridGeometry, offset: number): GridAnchor {
  const { rows } = scrollMap(g);
  if (rows === 0 || g.rowHeight <= 0) return { index: 0, fraction: 0 };
  const row = clamp(Math.floor((offset - (g.paddingTop ?? 0)) / g.rowHeight), 0, rows - 1);
  return { index: row * g.columns, fraction: (offset - rowTop(g, row)) / g.rowHeight };
}

/** The offset that puts an anchor back at the viewport's top in another geometry (other columns, row height, viewport). */
export function offsetOfAnchor(g: GridGeometry, anchor: GridAnchor): number {
  const { rows, maxOffset } = scrollMap(g);
  if (rows === 0) return 0;
  const row = clamp(Math.floor(anchor.index / g.columns), 0, rows - 1);
  return clamp(rowTop(g, row) + anchor.fraction * g.rowHeight, 0, maxOffset);
}
