// The photo gallery: images/gallery/ holds JPEG "photos", PNG tile patterns and GIF pixel sprites.
// That folder deliberately has no index.html; gallery.html at the site root is the page people browse.
// Two names are awkward on purpose, as they would be on a site people edit by FTP: one with spaces and
// parentheses (a copied file), one straight off a camera with an upper-case extension.
import { landscape, sprite, tiles } from "./art.ts";
import { encodeGif, encodeJpeg, encodePng, type IndexedImage } from "./images.ts";
import { escapeHtml, type Site } from "./site.ts";
import { randomFor, type Random } from "./text.ts";

export interface GalleryImage {
  path: string;
  caption: string;
  draw: (random: Random) => IndexedImage;
  encode: (image: IndexedImage) => Buffer;
}

export const OFFSITE_PHOTO = "images/gallery/Team Offsite 2024 (1).jpg";

const two = (n: number): string => String(n).padStart(2, "0");

export function galleryImages(): GalleryImage[] {
  const images: GalleryImage[] = [];
  for (let n = 1; n <= 14; n++) {
    images.push({
      path: `images/gallery/lakeside-${two(n)}.jpg`,
      caption: `Lakeside study ${n}`,
      draw: (r) => landscape(r, 320, 200),
      encode: encodeJpeg,
    });
  }
  images.push({
    path: OFFSITE_PHOTO,
    caption: "Team offsite 2024, day one",
    draw: (r) => landscape(r, 320, 200),
    encode: encodeJpeg,
  });
  images.push({
    path: "images/gallery/IMG_0042.JPG",
    caption: "Straight from the camera",
    draw: (r) => landscape(r, 480, 320),
    encode: encodeJpeg,
  });
  for (let n = 1; n <= 15; n++) {
    images.push({
      path: `images/gallery/office-tiles-${two(n)}.png`,
      caption: `Office wall tiles ${n}`,
      draw: (r) => tiles(r, 96, 64),
      encode: encodePng,
    });
  }
  for (let n = 1; n <= 15; n++) {
    // Transparent background, so the sprites sit on whatever colour the page uses.
    images.push({
      path: `images/gallery/pixel-mascot-${two(n)}.gif`,
      caption: `Pixel mascot ${n}`,
      draw: (r) => ({ ...sprite(r, 8, 8, "#ffffff"), transparentIndex: 0 }),
      encode: encodeGif,
    });
  }
  return images;
}

export function addGallery(site: Site): void {
  const images = galleryImages();
  for (const image of images) site.add(image.path, image.encode(image.draw(randomFor(image.path))));

  site.page("gallery.html", (href) => ({
    title: "Gallery",
    description: "Photos from the Brightwater team: offsites, office tiles and the pixel mascots.",
    section: "gallery",
    styles: ["css/gallery.css"],
    scripts: ["js/gallery.js"],
    body: `
<h1>Gallery</h1>
<p>Photos from our offsites, the tiles on the office wall and the pixel mascots from our stickers.
Click a picture to see it larger.</p>
<ul class="gallery">
${images
  .map(
    (image) =>
      `  <li><figure><a href="${href(image.path)}" data-caption="${escapeHtml(image.caption)}">` +
      `<img src="${href(image.path)}" alt="${escapeHtml(image.caption)}" loading="lazy"></a>` +
      `<figcaption>${escapeHtml(image.caption)}</figcaption></figure></li>`,
  )
  .join("\n")}
</ul>
<div id="lightbox" class="lightbox" hidden><img alt="">\
<button type="button"><img src="${href("images/icons/close.svg")}" alt="Close" width="24" height="24"></button></div>`,
  }));
}
