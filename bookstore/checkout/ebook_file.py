"""The demo ebook file: a small, valid EPUB made on the fly for a bought title.

The shop has no real ebook files; this placeholder proves the download path end to end.
"""

from __future__ import annotations

import io
import zipfile
from html import escape

from bookstore.slugs import make_slug

CONTAINER = """<?xml version="1.0" encoding="UTF-8"?>
<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">
  <rootfiles>
    <rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/>
  </rootfiles>
</container>
"""

PACKAGE = """<?xml version="1.0" encoding="UTF-8"?>
<package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="isbn">
  <metadata xmlns:dc="http://purl.org/dc/elements/1.1/">
    <dc:identifier id="isbn">urn:isbn:{isbn}</dc:identifier>
    <dc:title>{title}</dc:title>
    <dc:language>en</dc:language>
    <meta property="dcterms:modified">2026-01-01T00:00:00Z</meta>
  </metadata>
  <manifest>
    <item id="text" href="text.xhtml" media-type="application/xhtml+xml" properties="nav"/>
  </manifest>
  <spine><itemref idref="text"/></spine>
</package>
"""

TEXT = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE html>
<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops">
<head><title>{title}</title></head>
<body>
  <nav epub:type="toc"><ol><li><a href="text.xhtml">{title}</a></li></ol></nav>
  <h1>{title}</h1>
  <p>This is a demonstration file from {shop}. In a live shop the full ebook would be here.</p>
  <p>Order {reference}.</p>
</body>
</html>
"""


def demo_epub(*, title: str, isbn13: str, reference: str, shop: str) -> tuple[str, bytes]:
    """(file name, EPUB bytes) for a bought ebook."""
    values = {
        "title": escape(title),
        "isbn": escape(isbn13),
        "reference": escape(reference),
        "shop": escape(shop),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        # EPUB requires "mimetype" first and stored uncompressed.
        archive.writestr("mimetype", "application/epub+zip", compress_type=zipfile.ZIP_STORED)
        archive.writestr("META-INF/container.xml", CONTAINER, zipfile.ZIP_DEFLATED)
        archive.writestr("OEBPS/content.opf", PACKAGE.format(**values), zipfile.ZIP_DEFLATED)
        archive.writestr("OEBPS/text.xhtml", TEXT.format(**values), zipfile.ZIP_DEFLATED)
    return f"{make_slug(title) or 'ebook'}.epub", buffer.getvalue()
