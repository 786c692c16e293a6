// Procedural pictures for the sample site: landscapes for "photos", tile patterns, pixel-art sprites,
// product icons and the logo. Each returns an IndexedImage that images.ts can save in any format.
// They only need to look deliberate at thumbnail size; all variation comes from a seeded Random.
import { drawImage, type IndexedImage, type Rgb } from "./images.ts";
import type { Random } from "./text.ts";

export function hex(colour: string): Rgb {
  const value = Number.parseInt(colour.replace("#", ""), 16);
  return { r: (value >> 16) & 0xff, g: (value >> 8) & 0xff, b: value & 0xff };
}

/** The brand colours, shared with css/main.css and images/logo.svg. */
export const BRAND = { deep: "#0b3d5c", sea: "#1f7a9e", foam: "#e8f4f8", sand: "#f2c14e" } as const;

/** Sky bands (top to horizon), sun, far hills, near hills, two water shades. */
const LANDSCAPE_THEMES: readonly string[][] = [
  ["#5b9bd5", "#7cb3e0", "#9fc9ea", "#c4def2", "#fff3b0", "#7a9e7e", "#4f7d5a", "#3f7fa8", "#5d9cc2"],
  ["#3d2c6b", "#8c3f73", "#d9606a", "#f29e6d", "#ffd56b", "#5b3f63", "#35263f", "#6b3f5e", "#a2566a"],
  ["#0c1633", "#14214a", "#1d2e5e", "#283e73", "#f4f1de", "#1a2238", "#0e1424", "#16264a", "#243a66"],
  ["#9cc5d9", "#b5d5e3", "#cde3ec", "#e2eef2", "#ffffff", "#8fa89a", "#5f7f6b", "#6d9db5", "#8db6c9"],
];

/** Sky with a sun, two rows of rolling hills and a striped lake: the stand-in for holiday photos. */
export function landscape(random: Random, width: number, height: number): IndexedImage {
  const palette = random.pick(LANDSCAPE_THEMES).map(hex);
  const horizon = height * 0.55;
  const shore = height * 0.78;
  const sun = { x: width * (0.2 + 0.6 * random.next()), y: horizon * (0.3 + 0.4 * random.next()), r: height * 0.09 };
  const wave = (x: number, frequency: number, phase: number): number =>
    Math.sin((x / width) * Math.PI * frequency + phase);
  const [f1, p1, f2, p2] = [2 + 3 * random.next(), 6 * random.next(), 1 + 2 * random.next(), 6 * random.next()];

  return drawImage(width, height, palette, (x, y) => {
    const farHills = horizon - height * 0.12 * (1 + wave(x, f1, p1));
    const nearHills = horizon + height * 0.06 * wave(x, f2, p2);
    if (y >= shore) return Math.floor(y / 6) % 3 === 0 ? 8 : 7; // ripples
    if (y >= nearHills) return 6;
    if (y >= farHills) return 5;
    if ((x - sun.x) ** 2 + (y - sun.y) ** 2 <= sun.r ** 2) return 4;
    return Math.min(3, Math.floor((y / horizon) * 4)); // banded sky, lighter towards the horizon
  });
}

const TILE_PALETTES: readonly string[][] = [
  ["#f7f3e8", "#1d4e89", "#3e7cb1", "#f2a541"],
  ["#fdf6ec", "#b23a48", "#fcb9b2", "#461220"],
  ["#eef5ef", "#2d6a4f", "#74c69d", "#1b4332"],
  ["#f4f1f8", "#5a189a", "#9d4edd", "#ff9e00"],
];

/** A wall of hand-painted tiles: each 16 px cell holds a square, a diagonal half, a dot or a quarter circle. */
export function tiles(random: Random, width: number, height: number): IndexedImage {
  const palette = random.pick(TILE_PALETTES).map(hex);
  const cell = 16;
  const columns = Math.ceil(width / cell);
  const designs = Array.from({ length: columns * Math.ceil(height / cell) }, () => ({
    shape: random.int(0, 3),
    ink: random.int(1, 3),
  }));
  return drawImage(width, height, palette, (x, y) => {
    const design = designs[Math.floor(y / cell) * columns + Math.floor(x / cell)] ?? { shape: 0, ink: 1 };
    const [u, v] = [x % cell, y % cell];
    const inside = [
      u >= 3 && u < 13 && v >= 3 && v < 13,
      u > v,
      (u - 7.5) ** 2 + (v - 7.5) ** 2 < 20,
      u ** 2 + v ** 2 < 150,
    ][design.shape];
    return inside ? design.ink : 0;
  });
}

/**
 * A symmetric pixel sprite (like a GitHub identicon): a random left half mirrored onto the right, each
 * cell drawn as a `scale` x `scale` block. Index 0 is the background, which callers may make transparent.
 */
export function sprite(random: Random, cells: number, scale: number, background: string): IndexedImage {
  const byte = (min: number, max: number) => random.int(min, max).toString(16).padStart(2, "0");
  const ink = hex(`#${byte(0x20, 0xd0)}${byte(0x40, 0xc0)}${byte(0x60, 0xe0)}`);
  const accent = hex(BRAND.sand);
  const half = Math.ceil(cells / 2);
  const grid = Array.from({ length: cells * half }, () => (random.next() < 0.5 ? 0 : random.next() < 0.8 ? 1 : 2));
  return drawImage(cells * scale, cells * scale, [hex(background), ink, accent], (x, y) => {
    const [column, row] = [Math.floor(x / scale), Math.floor(y / scale)];
    const mirrored = column < half ? column : cells - 1 - column;
    return grid[row * half + mirrored] ?? 0;
  });
}

/** A product icon: a coloured rounded square with one of five white glyphs, chosen by `glyph`. */
export function productIcon(colour: string, glyph: number, size = 64): IndexedImage {
  const palette = [hex("#ffffff"), hex(colour), hex("#ffffff")];
  const c = (size - 1) / 2;
  const radius = size * 0.18;
  return drawImage(
    size,
    size,
    palette,
    (x, y) => {
      // Rounded corners: outside the rounded square is transparent.
      const dx = Math.max(0, Math.abs(x - c) - (c - radius));
      const dy = Math.max(0, Math.abs(y - c) - (c - radius));
      if (dx * dx + dy * dy > radius * radius) return 0;
      const [u, v] = [(x - c) / size, (y - c) / size];
      const inGlyph = [
        u * u + v * v < 0.06, // dot
        u * u + v * v < 0.08 && u * u + v * v > 0.035, // ring
        Math.abs(u) + Math.abs(v) < 0.28, // diamond
        v > -0.22 && v < 0.2 && Math.abs(u) < (v + 0.22) * 0.7, // triangle
        Math.abs(u) < 0.25 && Math.abs(v) < 0.25 && Math.floor((u + 0.25) * 10) % 2 === 0, // bars
      ][glyph % 5];
      return inGlyph ? 2 : 1;
    },
    0,
  );
}

/** The Brightwater mark: a deep-blue disc with a wave across it, on a transparent background. */
export function logo(size: number): IndexedImage {
  const palette = [hex("#ffffff"), hex(BRAND.deep), hex(BRAND.sea), hex(BRAND.foam)];
  const c = (size - 1) / 2;
  return drawImage(
    size,
    size,
    palette,
    (x, y) => {
      const [u, v] = [(x - c) / (size / 2), (y - c) / (size / 2)];
      if (u * u + v * v > 1) return 0;
      const crest = 0.1 + 0.18 * Math.sin(u * Math.PI * 1.5);
      if (Math.abs(v - crest) < 0.12) return 3;
      return v > crest ? 2 : 1;
    },
    0,
  );
}

/** The social-media preview card: two pale bands and a sand-coloured strip, with the logo on the left. */
export function socialCard(width: number, height: number): IndexedImage {
  const mark = logo(height / 2);
  // Light background colours first (0-2), then the logo's own colours (3-5).
  const palette = [hex(BRAND.foam), hex("#cfe6ef"), hex(BRAND.sand), ...mark.palette.slice(1)];
  const [left, top] = [Math.round(height / 4), Math.round(height / 4)];
  return drawImage(width, height, palette, (x, y) => {
    const [mx, my] = [x - left, y - top];
    if (mx >= 0 && my >= 0 && mx < mark.width && my < mark.height) {
      const index = mark.pixels[my * mark.width + mx] ?? 0;
      if (index !== 0) return index + 2; // logo colours follow the three background colours
    }
    return y > height * 0.8 ? 2 : x + y < width * 0.7 ? 0 : 1;
  });
}
