"""Render a plan as DOCX, HTML or TXT, each the way such files come from municipalities.

DOCX: Word styles (headings, list styles, captions), a contents list in a Word
contents control or as typed lines, header and footer, boxes as one-cell tables,
repeated table headers, a scanned page as a picture. HTML: a municipal web page
with its menu, cookie notice, breadcrumbs and footer around the plan. TXT: a
text export with hard line breaks, form feeds between pages, tables as aligned
columns or tabs, in UTF-8 or Windows-1252.
"""

from __future__ import annotations

import html
import io
import textwrap
import zipfile
from collections.abc import Iterator
from pathlib import Path

from mrp_classify.docset.plan import (
    BOX,
    BULLET,
    CAPTION,
    FURNITURE,
    GLOSSARY,
    HEADING,
    NUMBERED,
    PAGEBREAK,
    SCANNED,
    TABLE_HEADER,
    TABLE_ROW,
    TEXT,
    TOC,
    Block,
    Plan,
)
from mrp_classify.docset.render_common import (
    FIXED_DATE,
    choice,
    cover_lines,
    footer_template,
    numbered_headings,
    running_header,
    toc_entries,
)


def _runs(plan: Plan) -> Iterator[tuple[str, list[Block]]]:
    """Blocks grouped as renderers need them: ("table", header+rows), ("glossary", entries),
    ("list", items), or (kind, [block])."""
    blocks = plan.blocks
    i = 0
    while i < len(blocks):
        block = blocks[i]
        group = {TABLE_HEADER: "table", TABLE_ROW: "table", GLOSSARY: "glossary",
                 BULLET: "list", NUMBERED: "list"}.get(block.kind)
        if group is None:
            yield block.kind, [block]
            i += 1
            continue
        j = i + 1
        while j < len(blocks) and {TABLE_ROW: "table", GLOSSARY: "glossary", BULLET: "list",
                                   NUMBERED: "list"}.get(blocks[j].kind) == group \
                and not (group == "list" and blocks[j].kind != block.kind):
            j += 1
        yield group, list(blocks[i:j])
        i = j


def _table_parts(blocks: list[Block]) -> tuple[list[str] | None, list[list[str]]]:
    header = list(blocks[0].cells) if blocks[0].kind == TABLE_HEADER else None
    rows = [list(b.cells) for b in blocks if b.kind == TABLE_ROW]
    return header, rows


# ---------------------------------------------------------------- DOCX

def _fixed_zip_times(path: Path) -> None:
    with zipfile.ZipFile(path) as archive:
        members = [(info, archive.read(info)) for info in archive.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, data in members:
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_DATE.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(fixed, data)


def _scan_png(text: str) -> io.BytesIO:
    from PIL import Image, ImageDraw

    image = Image.new("L", (620, 877), 246)
    draw = ImageDraw.Draw(image)
    for n, start in enumerate(range(0, len(text), 70)):
        draw.text((50, 60 + 22 * n), text[start:start + 70], fill=30)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    buffer.seek(0)
    return buffer


def render_docx(plan: Plan, path: Path) -> Path:
    import docx
    from docx.enum.text import WD_BREAK
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Inches, Pt

    document = docx.Document()
    props = document.core_properties
    props.title = plan.meta["title"]
    props.author = f"{plan.meta['kommun']} kommun"
    props.created = props.modified = FIXED_DATE.replace(tzinfo=None)
    props.last_modified_by = props.author
    props.revision = 1
    section = document.sections[0]
    section.header.paragraphs[0].text = running_header(plan)
    section.footer.paragraphs[0].text = footer_template(plan).format(page="", pages="").strip()
    headings = numbered_headings(plan)
    styled_toc = choice(plan, "docx-toc", ("control", "lines")) == "control"

    if "no-cover" not in plan.layout:
        lines = cover_lines(plan)
        document.add_heading(lines[0], level=0)
        for line in lines[1:]:
            document.add_paragraph(line)
        document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)

    def add_toc() -> None:
        entries = toc_entries(plan)
        if styled_toc:
            sdt = OxmlElement("w:sdt")
            pr = OxmlElement("w:sdtPr")
            obj = OxmlElement("w:docPartObj")
            gallery = OxmlElement("w:docPartGallery")
            gallery.set(qn("w:val"), "Table of Contents")
            obj.append(gallery)
            pr.append(obj)
            sdt.append(pr)
            content = OxmlElement("w:sdtContent")
            sdt.append(content)
            document.element.body.append(sdt)
            title = document.add_paragraph("Innehåll")
            content.append(title._p)
            for page, (level, text, _) in enumerate(entries, start=3):
                paragraph = document.add_paragraph(f"{'    ' * (level - 1)}{text}\t{page}")
                content.append(paragraph._p)
        else:
            document.add_paragraph().add_run("Innehållsförteckning").bold = True
            for page, (level, text, _) in enumerate(entries, start=3):
                document.add_paragraph(f"{'  ' * (level - 1)}{text} {'.' * 12} {page}")
        document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)

    for kind, blocks in _runs(plan):
        block = blocks[0]
        if kind == HEADING:
            document.add_heading(headings[block.line].title, level=block.level)
        elif kind == TEXT:
            document.add_paragraph(block.text)
        elif kind == "list":
            style = "List Bullet" if block.kind == BULLET else "List Number"
            for item in blocks:
                document.add_paragraph(item.text, style=style)
        elif kind == BOX:
            cell = document.add_table(rows=1, cols=1).cell(0, 0)
            cell.text = block.text
            shading = OxmlElement("w:shd")
            shading.set(qn("w:fill"), "E8EEF4")
            cell._tc.get_or_add_tcPr().append(shading)
        elif kind in ("table", "glossary"):
            header, rows = (_table_parts(blocks) if kind == "table"
                            else (None, [list(b.cells) for b in blocks]))
            all_rows = ([header] if header else []) + rows
            ncols = max(len(r) for r in all_rows)
            table = document.add_table(rows=len(all_rows), cols=ncols)
            table.style = "Table Grid"
            for r, cells in enumerate(all_rows):
                for c in range(ncols):
                    table.cell(r, c).text = cells[c] if c < len(cells) else ""
            if header:
                table.rows[0]._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))
                for cell in table.rows[0].cells:
                    for run in cell.paragraphs[0].runs:
                        run.bold = True
        elif kind == CAPTION:
            paragraph = document.add_paragraph(block.text, style="Caption")
            paragraph.runs[0].font.size = Pt(8)
        elif kind == FURNITURE:
            document.add_paragraph().add_run(block.text).font.size = Pt(8)
        elif kind == TOC:
            add_toc()
        elif kind == PAGEBREAK:
            document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        elif kind == SCANNED:
            document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
            document.add_picture(_scan_png(block.text), width=Inches(6))
            document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    document.save(str(path))
    _fixed_zip_times(path)
    return path


# ---------------------------------------------------------------- HTML

_MENU = ("Hem", "Kommun och politik", "Omsorg och stöd", "Utbildning och förskola",
         "Bygga, bo och miljö", "Uppleva och göra", "Näringsliv och arbete")


def html_chrome(plan: Plan) -> tuple[list[str], list[str]]:
    """The page text around the plan that a reader may meet: (before, after)."""
    kommun = plan.meta["kommun"]
    before = [f"Du är här: Start / Kommun och politik / Ekonomi / {plan.meta['title']}",
              "Vi använder kakor för att förbättra webbplatsen. Läs mer om kakor. "
              "Godkänn alla kakor | Endast nödvändiga"]
    after = [f"{kommun} kommun, kommunkontoret, telefon 0000-00 00 00, "
             f"e-post kommun@{kommun.lower().replace(' ', '')}.se",
             "Sidan uppdaterades 20 november 2024. Hittade du det du sökte? Ja | Nej"]
    return before, after


def render_html(plan: Plan, path: Path) -> Path:
    e = html.escape
    headings = numbered_headings(plan)
    before, after = html_chrome(plan)
    out = ["<!DOCTYPE html>", '<html lang="sv"><head><meta charset="utf-8">',
           f"<title>{e(plan.meta['title'])} – {e(plan.meta['kommun'])} kommun</title>",
           "<style>.cookie{position:fixed;bottom:0}</style></head><body>",
           '<header><a href="/">' + e(plan.meta["kommun"]) + " kommun</a><nav><ul>"
           + "".join(f'<li><a href="#">{e(item)}</a></li>' for item in _MENU)
           + "</ul></nav></header>",
           f'<div class="cookie" role="dialog"><p>{e(before[1])}</p></div>',
           f'<p class="breadcrumbs">{e(before[0])}</p>', "<main><article>"]
    if "no-cover" not in plan.layout:
        lines = cover_lines(plan)
        out.append(f"<h1>{e(lines[0])}</h1>")
        out += [f'<p class="ingress">{e(line)}</p>' for line in lines[1:]]
    for kind, blocks in _runs(plan):
        block = blocks[0]
        if kind == HEADING:
            level = min(block.level + 1, 4)
            out.append(f'<h{level} id="h{block.line}">{e(headings[block.line].title)}</h{level}>')
        elif kind == TEXT:
            out.append(f"<p>{e(block.text)}</p>")
        elif kind == "list":
            tag = "ul" if block.kind == BULLET else "ol"
            out.append(f"<{tag}>" + "".join(f"<li>{e(b.text)}</li>" for b in blocks)
                       + f"</{tag}>")
        elif kind == BOX:
            out.append(f'<aside class="faktaruta"><p>{e(block.text)}</p></aside>')
        elif kind == "table":
            header, rows = _table_parts(blocks)
            head = ("<thead><tr>" + "".join(f"<th>{e(c)}</th>" for c in header)
                    + "</tr></thead>") if header else ""
            body = "".join("<tr>" + "".join(f"<td>{e(c)}</td>" for c in r) + "</tr>"
                           for r in rows)
            out.append(f"<table>{head}<tbody>{body}</tbody></table>")
        elif kind == "glossary":
            out.append("<dl>" + "".join(f"<dt>{e(b.cells[0])}</dt><dd>{e(b.cells[1])}</dd>"
                                        for b in blocks) + "</dl>")
        elif kind == CAPTION:
            out.append(f'<p class="caption"><small>{e(block.text)}</small></p>')
        elif kind == FURNITURE:
            out.append(f'<p class="meta"><small>{e(block.text)}</small></p>')
        elif kind == TOC:
            out.append('<nav class="toc" aria-label="Innehåll"><ol>' + "".join(
                f'<li><a href="#">{e(title)}</a></li>' for _, title, _ in toc_entries(plan))
                + "</ol></nav>")
        elif kind == SCANNED:
            out.append('<p><img src="data:image/png;base64," alt=""></p>')
    out += ["</article></main>", f"<footer><p>{e(after[0])}</p><p>{e(after[1])}</p></footer>",
            "</body></html>"]
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return path


# ---------------------------------------------------------------- TXT

def _txt_table(header: list[str] | None, rows: list[list[str]], style: str) -> list[str]:
    all_rows = ([header] if header else []) + rows
    if style == "tabs":
        return ["\t".join(r) for r in all_rows]
    ncols = max(len(r) for r in all_rows)
    widths = [min(40, max(len(r[c]) if c < len(r) else 0 for r in all_rows))
              for c in range(ncols)]
    lines = []
    for r in all_rows:
        cells = [(r[c] if c < len(r) else "") for c in range(ncols)]
        lines.append("  ".join(cell.ljust(widths[c]) for c, cell in enumerate(cells)).rstrip())
    return lines


def render_txt(plan: Plan, path: Path) -> Path:
    width = int(choice(plan, "txt-width", ("72", "80", "100")))
    table_style = choice(plan, "txt-table", ("tabs", "aligned"))
    upper = choice(plan, "txt-headings", ("upper", "plain")) == "upper"
    headings = numbered_headings(plan)
    wrap = textwrap.TextWrapper(width=width, break_long_words=False, break_on_hyphens=False)
    out: list[str] = []
    if "no-cover" not in plan.layout:
        out += cover_lines(plan) + ["", "\f"]
    for kind, blocks in _runs(plan):
        block = blocks[0]
        if kind == HEADING:
            title = headings[block.line].title
            out += ["", title.upper() if upper and block.level == 1 else title]
            if block.level == 1 and not upper:
                out.append("=" * min(width, len(title)))
            out.append("")
        elif kind in (TEXT, BOX, CAPTION, FURNITURE):
            out += wrap.wrap(block.text) + [""]
        elif kind == "list":
            for n, item in enumerate(blocks, start=1):
                marker = "- " if item.kind == BULLET else f"{n}. "
                lines = textwrap.wrap(item.text, width - len(marker), break_long_words=False,
                                      break_on_hyphens=False)
                out += [marker + lines[0]] + [" " * len(marker) + line for line in lines[1:]]
            out.append("")
        elif kind == "table":
            header, rows = _table_parts(blocks)
            out += _txt_table(header, rows, table_style) + [""]
        elif kind == "glossary":
            for b in blocks:
                out += wrap.wrap(f"{b.cells[0]}: {b.cells[1]}") + [""]
        elif kind == TOC:
            out += ["INNEHÅLL" if upper else "Innehåll", ""]
            for page, (level, title, _) in enumerate(toc_entries(plan), start=3):
                left = "  " * (level - 1) + title
                out.append(f"{left} {'.' * max(3, width - len(left) - 6)} {page}")
            out += ["", "\f"]
        elif kind == PAGEBREAK:
            out.append("\f")
    text = "\n".join(out).replace("\n\f\n", "\n\f") + "\n"
    encoding = choice(plan, "txt-encoding", ("utf-8", "utf-8", "cp1252"))
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        data = text.encode("utf-8")
    path.write_bytes(data)
    return path
