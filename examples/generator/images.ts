// Tiny, dependency-free encoders for the sample site's images: PNG, baseline JPEG, GIF and ICO.
//
// They exist so the sample site can carry real, valid image files without an image library and without
// committing opaque binaries that nobody can regenerate. Quality is irrelevant (the files are a few
// kilobytes each); what matters is that browsers, `file` and MIME sniffers accept them, and that the
// output is byte-for-byte identical on every machine, so regenerating the site never churns git.
import { crc32, deflateSync } from "node:zlib";

export interface Rgb {
  r: number;
  g: number;
  b: number;
}

/**
 * A palette image: every pixel is an index into `palette`. All four encoders take this one shape,
 * so a drawing can be saved as any format. At most 256 colours; GIF and ICO need no more.
 */
export interface IndexedImage {
  width: number;
  height: number;
  palette: Rgb[];
  /** width * height palette indexes, row by row from the top-left. */
  pixels: Uint8Array;
  /** Palette index to treat as fully transparent (PNG, GIF, ICO); JPEG has no alpha and ignores it. */
  transparentIndex?: number;
}

/** Draws an image by asking `paint` for the palette index of every pixel. */
export function drawImage(
  width: number,
  height: number,
  palette: Rgb[],
  paint: (x: number, y: number) => number,
  transparentIndex?: number,
): IndexedImage {
  const pixels = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) pixels[y * width + x] = paint(x, y);
  }
  const image: IndexedImage = { width, height, palette, pixels };
  if (transparentIndex !== undefined) image.transparentIndex = transparentIndex;
  return image;
}

function colourAt(image: IndexedImage, x: number, y: number): Rgb {
  const colour = image.palette[image.pixels[y * image.width + x] ?? 0];
  if (!colour) throw new Error(`pixel ${x},${y} uses a palette index outside the palette`);
  return colour;
}

// ---------------------------------------------------------------------------------------------------
// PNG
// ---------------------------------------------------------------------------------------------------

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const typeAndData = Buffer.concat([Buffer.from(type, "latin1"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typeAndData));
  return Buffer.concat([length, typeAndData, crc]);
}

/** An 8-bit palette PNG (colour type 3), with a tRNS chunk when the image has a transparent colour. */
export function encodePng(image: IndexedImage): Buffer {
  const { width, height, palette, pixels } = image;
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 3; // colour type: indexed
  // bytes 10-12 stay 0: deflate compression, adaptive filtering, no interlace

  const plte = Buffer.from(palette.flatMap((c) => [c.r, c.g, c.b]));

  // Every scanline starts with its filter type; 0 ("None") keeps the encoder trivial.
  const raw = Buffer.alloc(height * (width + 1));
  for (let y = 0; y < height; y++) {
    raw[y * (width + 1)] = 0;
    raw.set(pixels.subarray(y * width, (y + 1) * width), y * (width + 1) + 1);
  }
  // Level 0 (stored blocks) on purpose: compressed deflate output can differ between zlib builds and even
  // CPU feature sets, which would make the generator non-deterministic across machines. Stored blocks are
  // identical everywhere, and at these sizes the extra bytes do not matter.
  const idat = deflateSync(raw, { level: 0 });

  const chunks = [pngChunk("IHDR", header), pngChunk("PLTE", plte)];
  if (image.transparentIndex !== undefined) {
    // tRNS for palette images lists an alpha per palette entry, up to the last non-opaque one.
    const alpha = Buffer.alloc(image.transparentIndex + 1, 255);
    alpha[image.transparentIndex] = 0;
    chunks.push(pngChunk("tRNS", alpha));
  }
  chunks.push(pngChunk("IDAT", idat), pngChunk("IEND", Buffer.alloc(0)));
  return Buffer.concat([PNG_SIGNATURE, ...chunks]);
}

// ---------------------------------------------------------------------------------------------------
// JPEG (baseline, DC coefficients only)
// ---------------------------------------------------------------------------------------------------
//
// A real JPEG encoder needs a DCT and run-length coding of the AC coefficients. We sidestep both: each
// 8x8 block is encoded as its average colour, which is exactly the DC coefficient, and every AC
// coefficient is zero (an immediate end-of-block). The result is a valid baseline JFIF that decodes as a
// soft mosaic, which is fine for placeholder photos.

/** Standard luminance DC Huffman table (JPEG spec, Annex K.3): code counts per length 1..16, symbols. */
const DC_CODE_COUNTS = [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0];
const DC_SYMBOLS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
/** Our AC table needs one symbol only: 0x00, end-of-block, with the one-bit code "0". */
const AC_CODE_COUNTS = [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
const AC_SYMBOLS = [0x00];
/** DC quantiser 8 turns the DC coefficient (8 x (mean - 128)) back into (mean - 128); AC values are unused. */
const QUANT_DC = 8;
const QUANT_AC = 16;

/** Canonical Huffman codes from per-length counts, as the JPEG spec assigns them (Annex C). */
function huffmanCodes(counts: number[], symbols: number[]): Map<number, { code: number; length: number }> {
  const codes = new Map<number, { code: number; length: number }>();
  let code = 0;
  let next = 0;
  counts.forEach((count, index) => {
    for (let i = 0; i < count; i++) {
      const symbol = symbols[next++];
      if (symbol === undefined) throw new Error("Huffman table lists more codes than symbols");
      codes.set(symbol, { code: code++, length: index + 1 });
    }
    code <<= 1;
  });
  return codes;
}

/** Writes bits most-significant first, with JPEG's byte stuffing (a 0x00 after every 0xFF data byte). */
class BitWriter {
  private readonly bytes: number[] = [];
  private current = 0;
  private used = 0;

  write(value: number, length: number): void {
    for (let bit = length - 1; bit >= 0; bit--) {
      this.current = (this.current << 1) | ((value >> bit) & 1);
      if (++this.used === 8) this.flushByte();
    }
  }

  /** Pads the last byte with 1-bits, as the spec requires, and returns the stuffed stream. */
  finish(): Buffer {
    if (this.used > 0) this.write(0xff, 8 - this.used);
    return Buffer.from(this.bytes);
  }

  private flushByte(): void {
    this.bytes.push(this.current);
    if (this.current === 0xff) this.bytes.push(0x00);
    this.current = 0;
    this.used = 0;
  }
}

function segment(marker: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt16BE(0xff00 | marker, 0);
  head.writeUInt16BE(payload.length + 2, 2); // the length field counts itself
  return Buffer.concat([head, payload]);
}

function huffmanTableSegment(tableClassAndId: number, counts: number[], symbols: number[]): Buffer {
  return Buffer.from([tableClassAndId, ...counts, ...symbols]);
}

/** Mean YCbCr colour of the 8x8 block whose top-left pixel is (left, top), per JFIF's conversion. */
function blockYCbCr(image: IndexedImage, left: number, top: number): [number, number, number] {
  let r = 0;
  let g = 0;
  let b = 0;
  for (let y = top; y < top + 8; y++) {
    for (let x = left; x < left + 8; x++) {
      const c = colourAt(image, x, y);
      r += c.r;
      g += c.g;
      b += c.b;
    }
  }
  r /= 64;
  g /= 64;
  b /= 64;
  return [
    0.299 * r + 0.587 * g + 0.114 * b,
    128 - 0.168736 * r - 0.331264 * g + 0.5 * b,
    128 + 0.5 * r - 0.418688 * g - 0.081312 * b,
  ];
}

/** Bits needed for |value|: JPEG calls it the "category" (SSSS) of a DC difference. */
function magnitudeCategory(value: number): number {
  let size = 0;
  for (let v = Math.abs(value); v > 0; v >>= 1) size++;
  return size;
}

/** A baseline JFIF, 4:4:4, one scan. Width and height must be multiples of 8 to keep every block whole. */
export function encodeJpeg(image: IndexedImage): Buffer {
  const { width, height } = image;
  if (width % 8 !== 0 || height % 8 !== 0) throw new Error("JPEG sample images must be multiples of 8 px");

  const dcCodes = huffmanCodes(DC_CODE_COUNTS, DC_SYMBOLS);
  const eob = huffmanCodes(AC_CODE_COUNTS, AC_SYMBOLS).get(0x00);
  if (!eob) throw new Error("AC table lacks end-of-block");

  const bits = new BitWriter();
  const previousDc = [0, 0, 0]; // DC values are coded as differences from the previous block, per component
  for (let top = 0; top < height; top += 8) {
    for (let left = 0; left < width; left += 8) {
      blockYCbCr(image, left, top).forEach((level, component) => {
        const dc = Math.max(-128, Math.min(127, Math.round(level - 128)));
        const diff = dc - (previousDc[component] ?? 0);
        previousDc[component] = dc;
        const category = magnitudeCategory(diff);
        const code = dcCodes.get(category);
        if (!code) throw new Error(`no DC code for category ${category}`);
        bits.write(code.code, code.length);
        // Negative differences are sent as the one's complement of |diff| in `category` bits.
        if (category > 0) bits.write(diff >= 0 ? diff : diff + (1 << category) - 1, category);
        bits.write(eob.code, eob.length);
      });
    }
  }

  const jfif = Buffer.from([0x4a, 0x46, 0x49, 0x46, 0x00, 1, 1, 0, 0, 1, 0, 1, 0, 0]);
  const quantTable = Buffer.alloc(65, QUANT_AC);
  quantTable[0] = 0; // 8-bit precision, table 0
  quantTable[1] = QUANT_DC; // zig-zag position 0 is the DC coefficient
  const frame = Buffer.alloc(15);
  frame[0] = 8; // sample precision
  frame.writeUInt16BE(height, 1);
  frame.writeUInt16BE(width, 3);
  frame[5] = 3; // Y, Cb, Cr
  for (let i = 0; i < 3; i++) frame.set([i + 1, 0x11, 0], 6 + i * 3); // id, 1x1 sampling, quant table 0
  const huffman = Buffer.concat([
    huffmanTableSegment(0x00, DC_CODE_COUNTS, DC_SYMBOLS),
    huffmanTableSegment(0x10, AC_CODE_COUNTS, AC_SYMBOLS),
  ]);
  // Scan header: 3 components all using DC table 0 / AC table 0, then spectral selection 0..63, no approx.
  const scan = Buffer.from([3, 1, 0x00, 2, 0x00, 3, 0x00, 0, 63, 0]);

  return Buffer.concat([
    Buffer.from([0xff, 0xd8]), // SOI
    segment(0xe0, jfif),
    segment(0xdb, quantTable),
    segment(0xc0, frame),
    segment(0xc4, huffman),
    segment(0xda, scan),
    bits.finish(),
    Buffer.from([0xff, 0xd9]), // EOI
  ]);
}

// ---------------------------------------------------------------------------------------------------
// GIF
// ---------------------------------------------------------------------------------------------------

/**
 * LZW-codes the pixels without ever building a dictionary: we send a clear code often enough that the
 * code width never grows, so every pixel is one fixed-width literal code. That is valid LZW that any
 * decoder reads, and far simpler than a real compressor.
 */
function lzwLiteralCodes(pixels: Uint8Array, minCodeSize: number): Buffer {
  const clear = 1 << minCodeSize;
  const endOfInformation = clear + 1;
  const width = minCodeSize + 1;
  // Each code after the first adds a (never used) dictionary entry; decoders widen codes once the table
  // reaches 2^width entries. Clearing after 2^minCodeSize - 2 literals stays safely below that.
  const literalsPerClear = clear - 2;

  const out: number[] = [];
  let buffer = 0;
  let buffered = 0;
  const emit = (code: number): void => {
    buffer |= code << buffered; // GIF packs codes least-significant bit first
    buffered += width;
    while (buffered >= 8) {
      out.push(buffer & 0xff);
      buffer >>= 8;
      buffered -= 8;
    }
  };

  pixels.forEach((pixel, i) => {
    if (i % literalsPerClear === 0) emit(clear);
    emit(pixel);
  });
  emit(endOfInformation);
  if (buffered > 0) out.push(buffer & 0xff);
  return Buffer.from(out);
}

/** GIF image data is split into sub-blocks of at most 255 bytes, ended by an empty one. */
function gifSubBlocks(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  for (let i = 0; i < data.length; i += 255) {
    const chunk = data.subarray(i, i + 255);
    parts.push(Buffer.from([chunk.length]), chunk);
  }
  parts.push(Buffer.from([0]));
  return Buffer.concat(parts);
}

/** A single-frame GIF89a with a global colour table. */
export function encodeGif(image: IndexedImage): Buffer {
  const { width, height, palette } = image;
  // The colour table size must be a power of two (at least 2 entries); LZW needs a code size of at least 2.
  let tableBits = 1;
  while (1 << tableBits < palette.length) tableBits++;
  const minCodeSize = Math.max(2, tableBits);

  const screen = Buffer.alloc(7);
  screen.writeUInt16LE(width, 0);
  screen.writeUInt16LE(height, 2);
  screen[4] = 0x80 | 0x70 | (tableBits - 1); // global table present, 8-bit colour resolution, table size
  const colourTable = Buffer.alloc(3 << tableBits);
  palette.forEach((c, i) => {
    colourTable.set([c.r, c.g, c.b], i * 3);
  });

  const parts: Buffer[] = [Buffer.from("GIF89a", "latin1"), screen, colourTable];
  if (image.transparentIndex !== undefined) {
    // Graphic Control Extension: the only way to mark a transparent colour.
    parts.push(Buffer.from([0x21, 0xf9, 4, 0x01, 0, 0, image.transparentIndex, 0]));
  }
  const descriptor = Buffer.alloc(10);
  descriptor[0] = 0x2c;
  descriptor.writeUInt16LE(width, 5);
  descriptor.writeUInt16LE(height, 7);
  parts.push(descriptor, Buffer.from([minCodeSize]), gifSubBlocks(lzwLiteralCodes(image.pixels, minCodeSize)));
  parts.push(Buffer.from([0x3b])); // trailer
  return Buffer.concat(parts);
}

// ---------------------------------------------------------------------------------------------------
// ICO
// ---------------------------------------------------------------------------------------------------

/**
 * The classic BMP flavour of an icon image: a BITMAPINFOHEADER with doubled height (colour bitmap plus
 * AND mask), 32-bit BGRA rows bottom-up, then a 1-bit mask. We use it rather than PNG-in-ICO because every
 * consumer of favicon.ico, old Windows shells included, understands it.
 */
function icoBitmap(image: IndexedImage): Buffer {
  const { width, height } = image;
  const header = Buffer.alloc(40);
  header.writeUInt32LE(40, 0);
  header.writeInt32LE(width, 4);
  header.writeInt32LE(height * 2, 8);
  header.writeUInt16LE(1, 12); // planes
  header.writeUInt16LE(32, 14); // bits per pixel
  const maskRowBytes = Math.ceil(width / 32) * 4; // mask rows are padded to 32 bits
  header.writeUInt32LE(width * height * 4 + maskRowBytes * height, 20);

  const colours = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) {
    const row = height - 1 - y; // bottom-up
    for (let x = 0; x < width; x++) {
      const index = image.pixels[y * width + x];
      const c = colourAt(image, x, y);
      const alpha = index === image.transparentIndex ? 0 : 255;
      colours.set([c.b, c.g, c.r, alpha], (row * width + x) * 4);
    }
  }
  // With a real alpha channel the AND mask is ignored, but it must be present; all zeros means "opaque".
  const mask = Buffer.alloc(maskRowBytes * height);
  return Buffer.concat([header, colours, mask]);
}

/** A Windows icon holding one bitmap per size, e.g. 16x16 and 32x32 for favicon.ico. */
export function encodeIco(images: IndexedImage[]): Buffer {
  const bitmaps = images.map(icoBitmap);
  const directory = Buffer.alloc(6 + 16 * images.length);
  directory.writeUInt16LE(1, 2); // type 1 = icon
  directory.writeUInt16LE(images.length, 4);
  let offset = directory.length;
  images.forEach((image, i) => {
    const entry = 6 + i * 16;
    const bitmap = bitmaps[i] ?? Buffer.alloc(0);
    directory[entry] = image.width & 0xff; // 0 means 256
    directory[entry + 1] = image.height & 0xff;
    directory.writeUInt16LE(1, entry + 4); // planes
    directory.writeUInt16LE(32, entry + 6); // bits per pixel
    directory.writeUInt32LE(bitmap.length, entry + 8);
    directory.writeUInt32LE(offset, entry + 12);
    offset += bitmap.length;
  });
  return Buffer.concat([directory, ...bitmaps]);
}
