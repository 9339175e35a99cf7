"""The PDF report: a :class:`ReportDoc` on A4 pages with fpdf2, in Noto Sans CJK SC embedded
as a subset (only the glyphs the report uses travel in the file)."""

from __future__ import annotations

from dataclasses import replace

from fpdf import FPDF
from fpdf.enums import TableCellFillMode, XPos, YPos
from fpdf.fonts import FontFace

from bot.media import fonts
from dialogs.messages import ReportDoc, Section, Table

FAMILY = "noto-sans-sc"
NAVY = (18, 53, 91)
INK = (33, 37, 41)
MUTED = (108, 117, 125)
PALE = (234, 239, 246)
GROUP = (222, 230, 242)
RED = (176, 48, 40)
GREEN = (24, 120, 80)
LINE = (200, 206, 214)


class _Pdf(FPDF):
    def __init__(self, doc: ReportDoc) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.doc = doc

    def footer(self) -> None:
        self.set_y(-13)
        self.set_font(FAMILY, size=7.5)
        self.set_text_color(*MUTED)
        self.cell(0, 4, self.doc.footer, align="L")
        self.set_xy(self.l_margin, -13)
        self.cell(0, 4, f"{self.page_no()}/{{nb}}", align="R")


def printable_doc(doc: ReportDoc) -> ReportDoc:
    """`doc` with every text as the font can print it (see :func:`fonts.printable`)."""
    p = fonts.printable

    def block(b: str | Table) -> str | Table:
        if isinstance(b, Table):
            return replace(
                b, header=tuple(p(h) for h in b.header), rows=tuple(tuple(p(c) for c in r) for r in b.rows)
            )
        return p(b)

    return replace(
        doc,
        title=p(doc.title),
        subtitle=p(doc.subtitle),
        meta=tuple(p(m) for m in doc.meta),
        headline=p(doc.headline),
        footer=p(doc.footer),
        sections=tuple(
            replace(s, heading=p(s.heading), source=p(s.source), blocks=tuple(block(b) for b in s.blocks))
            for s in doc.sections
        ),
    )


def render_report(doc: ReportDoc, font: fonts.PdfFont | None = None) -> bytes:
    """The report as PDF bytes (1–3 A4 pages for an assessment), in `font` (by default the
    cut-down font, or the whole face when the report has a character outside it)."""
    doc = printable_doc(doc)
    font = font or fonts.pdf_font()
    if fonts.missing(doc.texts(), font.glyphs):
        font = fonts.full_pdf_font()  # a character outside the cut-down font: embed from the whole face
    pdf = _Pdf(doc)
    pdf.add_font(FAMILY, "", str(font.path), collection_font_number=font.index)
    for added in pdf.fonts.values():
        # the subset keeps the bounding boxes of the whole font: recomputing them from every
        # glyph outline would take most of the time a report takes
        ttfont = getattr(added, "ttfont", None)
        if ttfont is not None:
            ttfont.recalcBBoxes = False
    pdf.set_title(doc.title)
    pdf.set_author(doc.subtitle)
    pdf.set_lang("zh-CN" if doc.lang == "zh" else "en")
    pdf.set_margins(16, 14, 16)
    pdf.set_auto_page_break(True, margin=18)
    pdf.alias_nb_pages()
    pdf.add_page()

    pdf.set_fill_color(*NAVY)
    pdf.rect(0, 0, pdf.w, 30, style="F")
    pdf.set_xy(16, 8)
    pdf.set_text_color(255, 255, 255)
    pdf.set_font(FAMILY, size=18)
    pdf.cell(0, 9, doc.title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FAMILY, size=9)
    pdf.cell(0, 6, doc.subtitle, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_y(34)
    pdf.set_text_color(*MUTED)
    pdf.set_font(FAMILY, size=8.5)
    for line in doc.meta:
        pdf.cell(0, 5, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(*INK)
    pdf.set_font(FAMILY, size=12)
    pdf.multi_cell(0, 7, doc.headline, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(1)
    for section in doc.sections:
        _section(pdf, section)
    return bytes(pdf.output())


def _section(pdf: _Pdf, section: Section) -> None:
    if pdf.will_page_break(22):
        pdf.add_page()
    pdf.ln(2)
    pdf.set_fill_color(*PALE)
    pdf.set_text_color(*NAVY)
    pdf.set_font(FAMILY, size=11.5)
    pdf.cell(0, 7.5, " " + section.heading, fill=True, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(1.5)
    for block in section.blocks:
        if isinstance(block, Table):
            _table(pdf, block)
        else:
            pdf.set_text_color(*INK)
            pdf.set_font(FAMILY, size=9)
            pdf.multi_cell(0, 5, block, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.ln(1)
    if section.source:
        pdf.set_text_color(*MUTED)
        pdf.set_font(FAMILY, size=7.5)
        # left-aligned: justified, a line broken at a space spreads its words across the page
        pdf.multi_cell(0, 4, section.source, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(1)


def _table(pdf: _Pdf, table: Table) -> None:
    pdf.set_font(FAMILY, size=8.5)
    pdf.set_text_color(*INK)
    pdf.set_draw_color(*LINE)
    heading = FontFace(emphasis=None, color=NAVY, fill_color=PALE)
    with pdf.table(
        col_widths=table.widths,
        headings_style=heading,
        line_height=4.2,
        padding=(0.9, 1.5, 0.9, 1.5),
        text_align="LEFT",
        cell_fill_mode=TableCellFillMode.NONE,
        first_row_as_headings=True,
    ) as grid:
        grid.row(table.header)
        for i, cells in enumerate(table.rows):
            mark = table.marks[i] if i < len(table.marks) else ""
            style = None
            if mark == "group":
                style = FontFace(emphasis=None, color=NAVY, fill_color=GROUP)
            elif mark == "fail":
                style = FontFace(emphasis=None, color=RED)
            elif mark == "ok":
                style = FontFace(emphasis=None, color=GREEN)
            grid.row(cells, style=style)
    pdf.ln(1.5)
