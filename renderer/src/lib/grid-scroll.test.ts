import { describe, expect, it } from 'vitest';
import {
  anchorAt,
  firstScreenTiles,
  GRID_GAP,
  GRID_OVERSCAN,
  MAX_SCROLL_HEIGHT,
  offsetFromScrollTop,
  offsetOfAnchor,
  rowTop,
  rowWindow,
  scrollMap,
  scrollTopFromOffset,
  scrollTopToReveal,
  type GridGeometry,
} from './grid-scroll';

// The shapes of the gallery on a 1440 × 900 page: 5 columns of rows 234 px high (whole px, as the grid makes
// them), a viewport of 743 px.
const small: GridGeometry = { count: 3000, columns: 5, rowHeight: 234, viewportHeight: 743, paddingTop: 2 };
const million: GridGeometry = { ...small, count: 1_000_000 };

/** Where the row of tile `index` is in the viewport at a scroll position, and whether it is whole on screen. */
function placeOf(g: GridGeometry, scrollTop: number, index: number, offset = offsetFromScrollTop(g, scrollTop)) {
  const row = Math.floor(index / g.columns);
  const top = rowTop(g, row) - offset;
  return { top, bottom: top + g.rowHeight, whole: top >= -1e-6 && top + g.rowHeight <= g.viewportHeight + 1e-6 };
}

describe('grid scroll below the cap', () => {
  it('is the identity: the spacer is as tall as the rows and a scroll position is an offset', () => {
    const map = scrollMap(small);
    expect(map.rows).toBe(600);
    expect(map.contentHeight).toBe(2 + 600 * 234);
    expect(map.scrollHeight).toBe(Math.ceil(map.contentHeight));
    expect(map.scale).toBe(1);
    for (const scrollTop of [0, 1, 100.5, 5000, map.maxScrollTop]) {
      expect(offsetFromScrollTop(small, scrollTop)).toBe(scrollTop);
      expect(scrollTopFromOffset(small, scrollTop)).toBe(Math.round(scrollTop));
    }
  });

  it('draws rows at their own offset, the rows on screen and the overscan', () => {
    const window = rowWindow(small, 1000, undefined, 1);
    // 1000 - 2 = 998 px into the rows: row 4 (938 … 1172) is at the top, row 7 (1640 … 1874) holds the bottom px 1742.
    expect(window).toEqual({ first: 4, last: 7, from: 3, to: 9, top: rowTop(small, 3) });
    expect(rowWindow(small, 0, undefined, 2)).toMatchObject({ first: 0, from: 0, top: 2 });
    const end = rowWindow(small, scrollMap(small).maxScrollTop, undefined, 2);
    expect(end.last).toBe(599);
    expect(end.to).toBe(600);
  });

  it('scrolls a row into view the shortest way, and not when it is on screen', () => {
    // Tile 100, row 20 (4682 … 4916) below the screen: its bottom meets the viewport's bottom.
    expect(scrollTopToReveal(small, 0, 100)).toBe(rowTop(small, 21) - 743);
    // Tile 10, row 2 above the screen: its top meets the viewport's top.
    expect(scrollTopToReveal(small, 3000, 10)).toBe(rowTop(small, 2));
    // Tile 27, row 5 (1172 … 1406) is whole on screen at 1000 (1000 … 1743).
    expect(scrollTopToReveal(small, 1000, 27)).toBeNull();
    // Rows of a fractional height round the safe way.
    const fractional = { ...small, rowHeight: 241.5 };
    expect(scrollTopToReveal(fractional, 0, 100)).toBe(Math.ceil(rowTop(fractional, 21) - 743));
    expect(scrollTopToReveal(fractional, 3000, 10)).toBe(Math.floor(rowTop(fractional, 2)));
  });
});

describe('grid scroll above the cap', () => {
  const map = scrollMap(million);

  it('caps the scrollable height and maps it onto all the rows', () => {
    expect(map.rows).toBe(200_000);
    expect(map.contentHeight).toBeGreaterThan(34_000_000); // taller than Chromium's 2^25 px
    expect(map.scrollHeight).toBe(MAX_SCROLL_HEIGHT);
    expect(map.scale).toBeCloseTo(map.maxOffset / map.maxScrollTop, 9);
    expect(map.scale).toBeGreaterThan(3);
  });

  it('shows row 0 at the top and the last row at the bottom', () => {
    expect(offsetFromScrollTop(million, 0)).toBe(0);
    expect(rowWindow(million, 0)).toMatchObject({ first: 0, top: 2 });
    const end = rowWindow(million, map.maxScrollTop, undefined, 1);
    expect(end.last).toBe(map.rows - 1);
    expect(end.to).toBe(map.rows);
    // The last row's bottom is the viewport's bottom, drawn at the end of the spacer.
    expect(placeOf(million, map.maxScrollTop, 999_999).bottom).toBeCloseTo(million.viewportHeight, 6);
    expect(end.top + (end.to - end.from) * million.rowHeight).toBeCloseTo(map.scrollHeight, 3);
    // A px short of the end (a viewport a fraction of a px taller than its client height) is the end too.
    expect(rowWindow(million, map.maxScrollTop - 1).last).toBe(map.rows - 1);
  });

  it('moves monotonically through the rows, and draws them near the scroll position', () => {
    let previous = -1;
    for (let scrollTop = 0; scrollTop <= map.maxScrollTop; scrollTop += 9_973) {
      const offset = offsetFromScrollTop(million, scrollTop);
      expect(offset).toBeGreaterThanOrEqual(previous);
      previous = offset;
      const window = rowWindow(million, scrollTop, offset, 1);
      expect(window.first).toBeGreaterThanOrEqual(0);
      expect(window.last).toBeLessThan(map.rows);
      // Row `from` (one above the screen) is at most two rows above the viewport's top, in the spacer.
      expect(window.top).toBeGreaterThanOrEqual(scrollTop - 2 * million.rowHeight - 1e-6);
      expect(window.top).toBeLessThanOrEqual(scrollTop + (million.paddingTop ?? 0));
      // The rows drawn are those at the offset, each where the offset puts it on screen.
      expect(Math.abs(window.top - scrollTop - (rowTop(million, window.from) - offset))).toBeLessThanOrEqual(0.5);
      expect(Number.isInteger(window.top)).toBe(true);
    }
    expect(offsetFromScrollTop(million, map.maxScrollTop)).toBe(map.maxOffset);
  });

  it('scrolls a given row fully into view, down and up, whatever the rounding of the scroll position', () => {
    for (const index of [7, 123_456, 500_000, 777_777, 999_000, 999_993, 999_999]) {
      // From the top (the row is below) and from the end (the row is above).
      for (const from of [0, map.maxScrollTop]) {
        const scrollTop = scrollTopToReveal(million, offsetFromScrollTop(million, from), index);
        if (scrollTop === null) {
          expect(placeOf(million, from, index).whole).toBe(true);
          continue;
        }
        expect(Number.isInteger(scrollTop)).toBe(true);
        expect(placeOf(million, scrollTop, index).whole).toBe(true);
        const window = rowWindow(million, scrollTop);
        expect(Math.floor(index / million.columns)).toBeGreaterThanOrEqual(window.first);
        expect(Math.floor(index / million.columns)).toBeLessThanOrEqual(window.last);
        // On screen now: nothing more to scroll.
        expect(scrollTopToReveal(million, offsetFromScrollTop(million, scrollTop), index)).toBeNull();
      }
    }
  });

  it('keeps a row near the end whole when scrolling up to it (the last scroll px is the very end)', () => {
    const offset = map.maxOffset;
    // The last row of the screen before the end's first row: a row whose top is within a scale of the end.
    for (let row = map.rows - 1; row > map.rows - 8; row--) {
      const index = row * million.columns;
      const scrollTop = scrollTopToReveal(million, offset, index);
      const at = scrollTop ?? map.maxScrollTop;
      expect(placeOf(million, at, index).whole).toBe(true);
    }
  });

  it('scrolls by the arrow keys one row at a time, each row landing whole on screen', () => {
    let scrollTop = 0;
    for (let index = 0; index < million.columns * 40; index += million.columns) {
      scrollTop = scrollTopToReveal(million, offsetFromScrollTop(million, scrollTop), index) ?? scrollTop;
      expect(placeOf(million, scrollTop, index).whole).toBe(true);
    }
    scrollTop = map.maxScrollTop;
    for (let index = 999_999; index > 999_999 - million.columns * 40; index -= million.columns) {
      scrollTop = scrollTopToReveal(million, offsetFromScrollTop(million, scrollTop), index) ?? scrollTop;
      expect(placeOf(million, scrollTop, index).whole).toBe(true);
    }
  });

  it('maps a scroll position and back within a scale', () => {
    for (const offset of [0, 1234.5, 17_000_000, map.maxOffset - 10, map.maxOffset]) {
      const scrollTop = scrollTopFromOffset(million, offset);
      expect(Math.abs(offsetFromScrollTop(million, scrollTop) - offset)).toBeLessThanOrEqual(map.scale);
      expect(offsetFromScrollTop(million, scrollTopFromOffset(million, offset, 'floor'))).toBeLessThanOrEqual(offset + 1e-6);
    }
  });

  it('works with any cap (a low one here) the same way', () => {
    const g: GridGeometry = { count: 100, columns: 4, rowHeight: 100, viewportHeight: 300, maxScrollHeight: 1000 };
    const low = scrollMap(g);
    expect(low).toMatchObject({ rows: 25, contentHeight: 2500, scrollHeight: 1000, maxScrollTop: 700, maxOffset: 2200 });
    expect(offsetFromScrollTop(g, 350)).toBeCloseTo(1100, 9);
    expect(rowWindow(g, 350)).toMatchObject({ first: 11, last: 13, top: 350 });
    expect(rowWindow(g, 700)).toMatchObject({ first: 22, last: 24 });
    // Tile 60 is row 15, 1500 … 1600: from the top its bottom meets the viewport's bottom (offset 1300).
    const scrollTop = scrollTopToReveal(g, 0, 60)!;
    expect(scrollTop).toBe(Math.ceil(1300 / (2200 / 700)));
    expect(placeOf(g, scrollTop, 60).whole).toBe(true);
  });
});

describe('grid anchor across a change of columns', () => {
  it('keeps the tile at the top of the viewport there when the columns change', () => {
    for (const g of [small, million]) {
      const map = scrollMap(g);
      for (const scrollTop of [0, 3333, Math.round(map.maxScrollTop / 2), map.maxScrollTop - 5]) {
        const offset = offsetFromScrollTop(g, scrollTop);
        const anchor = anchorAt(g, offset);
        expect(anchor.index % g.columns).toBe(0);
        // Narrower: 3 columns, taller rows.
        const narrow: GridGeometry = { ...g, columns: 3, rowHeight: 330 };
        const next = offsetOfAnchor(narrow, anchor);
        const window = rowWindow(narrow, scrollTopFromOffset(narrow, next), next);
        const row = Math.floor(anchor.index / narrow.columns);
        // The anchor's row is on screen, where it was (unless that is past the new end).
        expect(row).toBeGreaterThanOrEqual(window.first);
        expect(row).toBeLessThanOrEqual(window.last);
        if (next > 0 && next < scrollMap(narrow).maxOffset) expect(next - rowTop(narrow, row)).toBeCloseTo(anchor.fraction * narrow.rowHeight, 6);
        // And back to 5 columns: the same offset as before, within a row.
        const back = offsetOfAnchor(g, anchorAt(narrow, next));
        expect(Math.abs(back - offset)).toBeLessThanOrEqual(g.rowHeight + 1e-6);
      }
    }
  });

  it('maps a scroll position to a row of the new columns after a resize, without a jump past the cap', () => {
    // Two columns: a million photos are 500,000 rows, far taller than the cap: the scale follows.
    const two: GridGeometry = { ...million, columns: 2, rowHeight: 600 };
    const map = scrollMap(two);
    expect(map.rows).toBe(500_000);
    expect(map.scrollHeight).toBe(MAX_SCROLL_HEIGHT);
    expect(rowWindow(two, map.maxScrollTop).last).toBe(499_999);
    const anchor = anchorAt(million, offsetFromScrollTop(million, 5_000_000));
    const next = offsetOfAnchor(two, anchor);
    expect(rowWindow(two, scrollTopFromOffset(two, next), next).first).toBe(Math.floor(anchor.index / 2));
  });
});

describe('the first screen of a window', () => {
  const TILES = { small: 140, medium: 200, large: 300 };
  /** The tiles the grid draws at the top, in a window less its sidebar and header, with rows of this body. */
  function drawn(windowWidth: number, windowHeight: number, tileWidth: number, body: number): number {
    const width = windowWidth - 240;
    const columns = Math.max(1, Math.floor((width + GRID_GAP) / (tileWidth + GRID_GAP)));
    const rowHeight = Math.ceil(((width - GRID_GAP * (columns - 1)) / columns) * 0.75 + body + GRID_GAP);
    const g: GridGeometry = { count: 1_000_000, columns, rowHeight, viewportHeight: windowHeight - 150, paddingTop: 2 };
    const { from, to } = rowWindow(g, 0, undefined, GRID_OVERSCAN);
    return (to - from) * columns;
  }

  it('asks for at least the tiles the grid draws, at every window and tile size', () => {
    for (const [windowWidth, windowHeight] of [[1024, 700], [1280, 800], [1440, 900], [1920, 1080], [2560, 1440], [3840, 2160]]) {
      for (const tileWidth of Object.values(TILES)) {
        const asked = firstScreenTiles(windowWidth, windowHeight, tileWidth, 200);
        for (const body of [40, 60, 80]) {
          expect(asked, `${windowWidth}×${windowHeight}, ${tileWidth} px tiles, ${body} px body`).toBeGreaterThanOrEqual(Math.min(200, drawn(windowWidth, windowHeight, tileWidth, body)));
        }
      }
    }
  });

  it('asks for about half the old fixed 60 in 1440 × 900, more on a large screen, never past the cap', () => {
    expect(firstScreenTiles(1440, 900, TILES.medium, 200)).toBe(36);
    expect(drawn(1440, 900, TILES.medium, 60)).toBe(25);
    expect(firstScreenTiles(2560, 1440, TILES.small, 200)).toBe(160);
    expect(firstScreenTiles(3840, 2160, TILES.small, 200)).toBe(200);
    expect(firstScreenTiles(300, 200, TILES.large, 200)).toBe(2);
  });
});
