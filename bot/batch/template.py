"""``zjtx assess --template``: a workbook to fill in, one column per profile field.

The first sheet has a frozen header row naming each field and its unit (营业收入（万元）),
a drop-down list of the option labels for every choice, and an example row (the project's
worked example, which scores as the chat scores it). The second sheet explains each column:
what to write, the options, and the clause of the source it comes from. A third, hidden
sheet holds the drop-downs' lists. Everything is generated from the rules data and the
catalogs, so the template changes with the rules.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation

from bot.batch.columns import TEMPLATE_MONEY_SCALE, header_for
from dialogs import render
from dialogs.flow import options_for
from dialogs.i18n import Catalogs
from rules import Rules
from rules.model import FieldInfo

__all__ = ["EXAMPLE_FILE", "build_template", "template_name"]

EXAMPLE_FILE: Final = Path(__file__).resolve().parent.parent / "examples" / "profile.json"
GUIDE: Final = {
    "money": "batch.guide.money",
    "percent": "batch.guide.percent",
    "years": "batch.guide.years",
    "choice": "batch.guide.choice",
    "multi": "batch.guide.multi",
    "yesno": "batch.guide.yesno",
}
_LAST_ROW: Final = 10_000  # drop-downs cover this many rows
_BOLD: Final = Font(bold=True)
_EXAMPLE: Final = Font(italic=True, color="7F7F7F")
_HEADER_FILL: Final = PatternFill("solid", fgColor="DDEBF7")
_WRAP: Final = Alignment(wrap_text=True, vertical="top")


def template_name(lang: str, cat: Catalogs) -> str:
    """The file a template is written to when no ``-o`` is given."""
    return cat.text(lang, "batch.template.file")


def _example(rules: Rules, lang: str, cat: Catalogs) -> dict[str, Any]:
    """The worked example as the template's cells: 万元, percent numbers, option labels."""
    data: dict[str, Any] = json.loads(EXAMPLE_FILE.read_text(encoding="utf-8"), parse_float=Decimal)
    cells: dict[str, Any] = {}
    for info in rules.fields.field:
        value = data.get(info.id)
        if value is None:
            continue
        if info.kind == "money":
            cells[info.id] = Decimal(value) / TEMPLATE_MONEY_SCALE
        elif info.kind in ("percent", "years"):
            cells[info.id] = Decimal(value)
        else:
            labels = {v: label for v, label, _ in options_for(info.id, rules, lang)}
            values = value if isinstance(value, list) else [value]
            cells[info.id] = cat.text(lang, "batch.sep").join(labels[v] for v in values)
    return cells


def build_template(rules: Rules, cat: Catalogs, lang: str) -> Workbook:
    """The template workbook in `lang` (not yet saved)."""

    def t(key: str, **values: Any) -> str:
        return cat.text(lang, key, **values)

    book = Workbook()
    data = book.active
    assert data is not None
    data.title = t("batch.template.sheet")
    guide = book.create_sheet(t("batch.template.guide_sheet"))
    lists = book.create_sheet(t("batch.template.lists_sheet"))
    lists.sheet_state = "hidden"

    fields = rules.fields.field
    headers = [t("batch.template.name_column"), *(header_for(f, lang, cat) for f in fields)]
    data.append(headers)
    example = _example(rules, lang, cat)
    data.append([t("batch.template.example_name"), *(_number(example.get(f.id)) for f in fields)])
    for col, header in enumerate(headers, start=1):
        cell = data.cell(row=1, column=col)
        cell.font, cell.fill, cell.alignment = _BOLD, _HEADER_FILL, _WRAP
        data.cell(row=2, column=col).font = _EXAMPLE
        letter = get_column_letter(col)
        data.column_dimensions[letter].width = 44 if col == 1 else min(max(len(header) * 2.0, 12), 28)
    data.row_dimensions[1].height = 36
    data.freeze_panes = "B2"

    list_column = 0
    for col, info in enumerate(fields, start=2):
        letter = get_column_letter(col)
        data.cell(row=1, column=col).comment = _comment(info, lang, cat)
        if info.kind in ("money", "percent", "years"):
            data.cell(row=2, column=col).number_format = "#,##0.##" if info.kind == "money" else "0.##"
            continue
        labels = [label for _, label, _ in options_for(info.id, rules, lang)]
        list_column += 1
        list_letter = get_column_letter(list_column)
        lists.cell(row=1, column=list_column, value=info.label.get(lang))
        for row, label in enumerate(labels, start=2):
            lists.cell(row=row, column=list_column, value=label)
        where = f"{quote_sheetname(lists.title)}!${list_letter}$2:${list_letter}${len(labels) + 1}"
        check = DataValidation(type="list", formula1=f"={where}", allow_blank=True)
        check.promptTitle = info.label.get(lang)[:32]
        check.prompt = t(GUIDE[info.kind])[:255]
        check.showInputMessage = True
        if info.kind == "multi":
            check.showErrorMessage = False  # several options in one cell are allowed
        else:
            check.showErrorMessage = True
            check.errorTitle = info.label.get(lang)[:32]
            check.error = t("batch.template.pick_one")[:255]
        check.add(f"{letter}2:{letter}{_LAST_ROW}")
        data.add_data_validation(check)

    _guide(guide, rules, lang, cat)
    return book


def _number(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def _comment(info: FieldInfo, lang: str, cat: Catalogs) -> Comment:
    text = cat.text(lang, GUIDE[info.kind])
    note = Comment(text, "zjtx")
    note.width, note.height = 300, 120
    return note


def _guide(sheet: Any, rules: Rules, lang: str, cat: Catalogs) -> None:
    def t(key: str, **values: Any) -> str:
        return cat.text(lang, key, **values)

    sheet.append([t("batch.template.guide_title")])
    sheet.cell(row=1, column=1).font = Font(bold=True, size=13)
    for line in t("batch.template.guide_intro").split("\n"):
        sheet.append([line])
    sheet.append([])
    heads = [
        t("batch.guide.col.column"),
        t("batch.guide.col.field"),
        t("batch.guide.col.how"),
        t("batch.guide.col.options"),
        t("batch.guide.col.source"),
    ]
    sheet.append(heads)
    head_row = sheet.max_row
    for col in range(1, len(heads) + 1):
        cell = sheet.cell(row=head_row, column=col)
        cell.font, cell.fill = _BOLD, _HEADER_FILL
    sheet.append([t("batch.template.name_column"), "", t("batch.guide.kept"), "", ""])
    for info in rules.fields.field:
        options = ""
        if info.kind in ("choice", "multi", "yesno"):
            options = "\n".join(label for _, label, _ in options_for(info.id, rules, lang))
        source = render.source_text(info.source.file, info.source.clause, rules, lang, cat)
        sheet.append([header_for(info, lang, cat), info.id, t(GUIDE[info.kind]), options, source])
    for row in sheet.iter_rows(min_row=head_row + 1):
        for cell in row:
            cell.alignment = _WRAP
    for letter, width in zip("ABCDE", (28, 26, 48, 48, 52), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = f"A{head_row + 1}"
