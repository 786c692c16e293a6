// A minimal PDF writer for the sample site's downloads: text-only pages in the standard Helvetica fonts.
//
// A PDF is a list of numbered objects plus a cross-reference table giving each object's byte offset, so
// the one thing that must be exact is that table. We build the file as Latin-1 text (one byte per
// character) so string lengths are byte offsets. No dates go into the Info dictionary: the generator
// must produce identical bytes on every run.

export interface PdfPage {
  heading: string;
  lines: string[];
}

export interface PdfDocument {
  title: string;
  pages: PdfPage[];
}

/** PDF literal strings are delimited by parentheses, so those and backslashes need escaping. */
function pdfString(text: string): string {
  if (/[^\x20-\x7e]/.test(text)) throw new Error(`PDF text must be printable ASCII: ${JSON.stringify(text)}`);
  return `(${text.replace(/[\\()]/g, (c) => `\\${c}`)})`;
}

/** The drawing operators for one US Letter page: a large heading, then body lines with 16pt leading. */
function pageContent(page: PdfPage, pageNumber: number, pageCount: number): string {
  const body = page.lines.map((line) => `${pdfString(line)} Tj T*`).join("\n");
  return [
    "BT /F1 22 Tf 72 708 Td",
    `${pdfString(page.heading)} Tj`,
    "ET",
    "BT /F2 11 Tf 16 TL 72 670 Td",
    body,
    "ET",
    `BT /F2 9 Tf 72 48 Td ${pdfString(`Page ${pageNumber} of ${pageCount}`)} Tj ET`,
  ].join("\n");
}

export function encodePdf(doc: PdfDocument): Buffer {
  // Fixed object numbers: 1 catalog, 2 page tree, 3-4 fonts, 5 info, then a page and its content per page.
  const firstPage = 6;
  const pageIds = doc.pages.map((_, i) => firstPage + i * 2);
  const objects = new Map<number, string>();
  objects.set(1, "<< /Type /Catalog /Pages 2 0 R >>");
  objects.set(2, `<< /Type /Pages /Kids [${pageIds.map((id) => `${id} 0 R`).join(" ")}] /Count ${pageIds.length} >>`);
  objects.set(3, "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold >>");
  objects.set(4, "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>");
  objects.set(5, `<< /Title ${pdfString(doc.title)} /Producer (sitesync sample site generator) >>`);
  doc.pages.forEach((page, i) => {
    const pageId = firstPage + i * 2;
    const content = pageContent(page, i + 1, doc.pages.length);
    objects.set(
      pageId,
      `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] ` +
        `/Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents ${pageId + 1} 0 R >>`,
    );
    objects.set(pageId + 1, `<< /Length ${content.length} >>\nstream\n${content}\nendstream`);
  });

  // The second header line holds bytes above 127 so tools treat the file as binary (PDF spec 7.5.2).
  let out = "%PDF-1.4\n%\xe2\xe3\xcf\xd3\n";
  const offsets: number[] = [];
  for (let id = 1; id <= objects.size; id++) {
    offsets.push(out.length);
    out += `${id} 0 obj\n${objects.get(id)}\nendobj\n`;
  }
  const xrefOffset = out.length;
  // Each xref entry is exactly 20 bytes: 10-digit offset, 5-digit generation, type, then space + newline.
  out += `xref\n0 ${objects.size + 1}\n0000000000 65535 f \n`;
  out += offsets.map((offset) => `${String(offset).padStart(10, "0")} 00000 n \n`).join("");
  out += `trailer\n<< /Size ${objects.size + 1} /Root 1 0 R /Info 5 0 R >>\nstartxref\n${xrefOffset}\n%%EOF\n`;
  return Buffer.from(out, "latin1");
}
