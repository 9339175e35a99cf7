"""How fast the rules engine scores, and whether ``zjtx assess`` on a spreadsheet keeps
its memory flat. Prints figures and ratios; asserts nothing.

(a) Profiles scored per second in this process, on one core: "parse+assess" from
    JSON-like answers, and "assess only" from already-parsed profiles.
(b) Wall time and peak memory of ``python -m bot assess in.csv -o out.csv`` on a generated
    10,000-row and 100,000-row spreadsheet, side by side. Flat memory shows as a ratio
    near 1 while the rows grow tenfold. Peak memory is ``getrusage(RUSAGE_CHILDREN)
    .ru_maxrss`` taken in a small launcher process whose only child is the command. The
    launcher matters: Linux counts in a child's peak the memory of the process that forked
    it, so a command started straight from this (large) benchmark would report this
    benchmark's size, not its own.
(c) The same for ``python -m bot assess in.xlsx -o out.xlsx``: a workbook as staff fill
    one (Chinese headers with units, amounts as numbers and as text such as 300万,
    percent-formatted cells, option labels, 是/否, a name, a credit code and a remark).
    The aim: 100,000 rows in under 60 s, peak memory ×1.2 at most against 10,000 rows.
(d) Reading alone, per row: openpyxl in read-only mode (what the command uses) against
    python-calamine when it is installed (it is not a dependency: it reads a whole sheet
    into memory and gives no number formats, so percent-formatted cells could not be told
    from plain ones).
(e) The same for a JSON list of profiles, 20 MB against 200 MB: the list is read and
    scored one item at a time, so memory stays flat while the input grows tenfold.

Run: ``python bench/assess.py [--quick]`` (``--quick`` uses smaller sizes).
"""

from __future__ import annotations

import argparse
import csv
import random
import subprocess
import sys
import tempfile
import time
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from rules import assess, default_rules, parse_profile
from rules.profile import BOOL_FIELDS, FIELDS, LIST_FIELDS

TODAY = date(2025, 1, 1)
ROOT = Path(__file__).resolve().parent.parent

CERTIFICATIONS = [
    "none",
    "innovative",
    "municipal",
    "provincial",
    "national_little_giant",
    "key_little_giant",
]
QUALITY = ["provincial_quality_award", "quality_certification", "own_brand", "standards"]
EDGES: list[int | Decimal] = [0, 3, 5, 10, 20, 50, 60, 70, 80, Decimal("79.99"), Decimal("50.01")]


def random_profile(rnd: random.Random) -> dict[str, Any]:
    """A valid profile with plausible figures (rules/data/plausibility.toml), every field
    answered about 85 % of the time."""

    def money(top: int) -> Any:
        return rnd.choice([0, rnd.randint(0, top), Decimal(rnd.randint(0, top * 100)) / 100])

    def pct(low: int = 0, high: int = 100) -> Any:
        # within what is plausible for the field (0 always is): zjtx assess refuses the rest
        edges = [e for e in EDGES if e == 0 or low <= e <= high]
        return rnd.choice([*edges, Decimal(rnd.randint(low * 100, high * 100)) / 100])

    profile: dict[str, Any] = {
        "org_type": rnd.choice(["enterprise"] * 9 + ["service_institution"]),
        "district": rnd.choice(["天河区", "黄埔区", "番禺区", "越秀区"]),
        "certification": rnd.choice(CERTIFICATIONS),
        "niche_years": rnd.randint(0, 15),
        "revenue": money(800_000_000),
        "profit": money(80_000_000) * rnd.choice([1, 1, 1, -1]),
        "rd_expense": money(12_000_000),
        "rd_expense_avg_2y": money(15_000_000),
        "equity_financing_2y": money(80_000_000),
        "sci_award": rnd.choice(["none", "provincial_top3", "national_top5"]),
        "maker_top500": rnd.random() < 0.1,
        "main_business_share_pct": pct(5, 100),
        "main_revenue_growth_pct": pct(-20, 30),
        "product_field": rnd.choice("ABC"),
        "digital_level": rnd.randint(1, 3),
        "quality": rnd.sample(QUALITY, rnd.randint(0, 4)),
        "debt_ratio_pct": pct(1, 100),
        "distinctive": rnd.sample("ABCDEF", rnd.randint(0, 4)),
        "talent": rnd.choice(["none", "national", "provincial", "municipal", "recommended"]),
        "ip": rnd.choice("ABCDE"),
        "rd_staff_pct": pct(1, 100),
        "rd_institution": rnd.choice(["national", "provincial", "municipal", "below_municipal", "none"]),
        "registered_capital": money(60_000_000),
        "operates_park": rnd.random() < 0.2,
        "listing_plan": rnd.random() < 0.3,
        "has_bank_loans": rnd.random() < 0.5,
        "provincial_tech_upgrade_funded": rnd.random() < 0.1,
        "relocating_to_guangzhou": rnd.random() < 0.05,
        "annual_tax": money(30_000_000),
    }
    # R&D or a profit above the revenue is asked back in the chat and refused by zjtx assess
    profile["revenue"] = max(profile["revenue"], profile["rd_expense"], profile["profit"])
    return {k: v for k, v in profile.items() if rnd.random() < 0.85}


def to_cell(field: str, value: Any) -> str:
    if value is None:
        return ""
    if field in LIST_FIELDS:
        return ";".join(value)
    if field in BOOL_FIELDS:
        return "true" if value else "false"
    return str(value)


def write_csv(path: Path, rows: int, seed: int) -> None:
    rnd = random.Random(seed)
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(FIELDS)
        for _ in range(rows):
            profile = random_profile(rnd)
            writer.writerow([to_cell(f, profile.get(f)) for f in FIELDS])


def rate(label: str, count: int, seconds: float) -> float:
    per_second = count / seconds
    print(f"  {label:<16} {per_second:>10,.0f} profiles/s  ({seconds * 1e6 / count:,.1f} µs each)")
    return per_second


def in_process(count: int) -> None:
    rules = default_rules()
    districts = rules.contacts.districts
    rnd = random.Random(1)
    answers = [random_profile(rnd) for _ in range(count)]
    for a in answers[:200]:  # warm up the per-rules caches and the allocator
        assess(parse_profile(a, districts), rules, TODAY)

    start = time.perf_counter()
    for a in answers:
        assess(parse_profile(a, districts), rules, TODAY)
    both = time.perf_counter() - start

    profiles = [parse_profile(a, districts) for a in answers]
    start = time.perf_counter()
    for p in profiles:
        assess(p, rules, TODAY)
    only = time.perf_counter() - start

    print(f"(a) in process, one core, {count:,} random profiles")
    rate("parse+assess", count, both)
    rate("assess only", count, only)


# Runs argv[1:] as its only child; prints its wall time, peak RSS (as getrusage reports it)
# and exit status. Small, so that what it passes on to the child by forking is small too.
LAUNCHER = """
import resource, subprocess, sys, time
start = time.perf_counter()
status = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode
wall = time.perf_counter() - start
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(wall, usage.ru_maxrss, status, usage.ru_utime + usage.ru_stime)
"""


def run_cli(source: Path, target: Path) -> tuple[float, float, int]:
    """(wall seconds, peak RSS in MiB, exit status) of one `python -m bot assess` run; its
    CPU seconds (every process of it) are printed, since a busy machine stretches wall time."""
    command = [sys.executable, "-m", "bot", "assess", str(source), "-o", str(target), "--today", "2025-01-01"]
    launched = subprocess.run(
        [sys.executable, "-c", LAUNCHER, *command], cwd=ROOT, capture_output=True, text=True, check=True
    )
    wall, maxrss, status, cpu = launched.stdout.split()
    print(f"    (CPU {float(cpu):.2f} s in all its processes)")
    # ru_maxrss is in KiB on Linux, in bytes on macOS
    peak = int(maxrss) / (1024 * 1024 if sys.platform == "darwin" else 1024)
    return float(wall), peak, int(status)


def spreadsheet(small: int, large: int) -> None:
    print(f"\n(b) python -m bot assess on a generated spreadsheet: {small:,} vs {large:,} rows")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        figures = {}
        for rows in (small, large):
            source = folder / f"in_{rows}.csv"
            write_csv(source, rows, seed=rows)
            wall, peak, status = run_cli(source, folder / f"out_{rows}.csv")
            figures[rows] = (wall, peak)
            size = source.stat().st_size / 1e6
            print(
                f"  {rows:>9,} rows ({size:5.1f} MB): {wall:6.2f} s wall, {rows / wall:>8,.0f} rows/s, "
                f"peak RSS {peak:6.1f} MiB, exit {status}"
            )
        (t_small, m_small), (t_large, m_large) = figures[small], figures[large]
        times, memory = t_large / t_small, m_large / m_small
        print(f"  ratio {large // small}x rows: time ×{times:.2f}, peak memory ×{memory:.2f}")


# ---------------------------------------------------------------- workbooks

XLSX_HEADER = [
    "企业名称",
    "统一社会信用代码",
    "组织类型",
    "所在区",
    "已获认定",
    "从事细分市场年限",
    "营业收入（万元）",
    "净利润（万元）",
    "研发费用（万元）",
    "近两年研发费用均值（万元）",
    "近两年新增股权融资（万元）",
    "科技奖励",
    "创客中国500强",
    "主营业务收入占比",
    "主营业务收入增长率（%）",
    "主导产品领域",
    "数字化水平",
    "质量管理",
    "资产负债率（%）",
    "特色化指标",
    "人才项目",
    "知识产权",
    "研发人员占比（%）",
    "研发机构",
    "注册资本（万元）",
    "上市计划",
    "银行贷款",
    "获省级技改资金",
    "迁入广州",
    "年纳税额（万元）",
    "备注",
]
XLSX_FIELDS = [
    None,
    None,
    "org_type",
    "district",
    "certification",
    "niche_years",
    "revenue",
    "profit",
    "rd_expense",
    "rd_expense_avg_2y",
    "equity_financing_2y",
    "sci_award",
    "maker_top500",
    "main_business_share_pct",
    "main_revenue_growth_pct",
    "product_field",
    "digital_level",
    "quality",
    "debt_ratio_pct",
    "distinctive",
    "talent",
    "ip",
    "rd_staff_pct",
    "rd_institution",
    "registered_capital",
    "listing_plan",
    "has_bank_loans",
    "provincial_tech_upgrade_funded",
    "relocating_to_guangzhou",
    "annual_tax",
    None,
]


def write_xlsx(path: Path, rows: int, seed: int) -> None:
    """A workbook of `rows` enterprises, written row by row (openpyxl, write-only)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    from dialogs.flow import options_for

    rules = default_rules()
    labels = {
        f: {v: label for v, label, _ in options_for(f, rules, "zh")}
        for f in XLSX_FIELDS
        if f and rules.fields.get(f).kind in ("choice", "multi", "yesno")
    }
    rnd = random.Random(seed)
    book = Workbook(write_only=True)
    sheet = book.create_sheet("企业")
    sheet.append(XLSX_HEADER)
    for n in range(rows):
        profile = random_profile(rnd)
        cells: list[Any] = []
        for field in XLSX_FIELDS:
            value = profile.get(field) if field else None
            if field is None or value is None:
                cells.append(None)
            elif field in ("revenue", "profit", "rd_expense", "rd_expense_avg_2y", "equity_financing_2y"):
                wan = Decimal(value) / 10_000
                cells.append(float(wan) if rnd.random() < 0.8 else f"{wan.normalize():f}万")
            elif field in ("registered_capital", "annual_tax"):
                cells.append(float(Decimal(value) / 10_000))
            elif field == "main_business_share_pct":
                cell = WriteOnlyCell(sheet, value=float(Decimal(value) / 100))
                cell.number_format = "0.00%"
                cells.append(cell)
            elif field in ("main_revenue_growth_pct", "debt_ratio_pct", "rd_staff_pct"):
                cells.append(float(value) if rnd.random() < 0.8 else f"{value}%")
            elif field in labels and isinstance(value, list):
                cells.append("、".join(labels[field][v] for v in value) or "无")
            elif field in labels:
                cells.append(labels[field][value])
            else:
                cells.append(value)
        cells[0] = f"广州第{n}号科技有限公司"
        cells[1] = f"91440101{n:010d}"
        cells[-1] = rnd.choice([None, "重点跟进", "已走访"])
        sheet.append(cells)
    book.save(path)


def as_excel_saves_it(path: Path) -> None:
    """Rewrite a write-only workbook as Excel saves one: text in a shared-string table, and
    the sheet's size in a dimension element (openpyxl's write-only mode writes neither, and
    reading its files is about twice as slow)."""
    import html
    import re
    import zipfile
    from xml.sax.saxutils import escape

    with zipfile.ZipFile(path) as book:
        parts = [(info, book.read(info)) for info in book.infolist()]
    strings: dict[str, int] = {}

    def shared(found: re.Match[str]) -> str:
        index = strings.setdefault(html.unescape(found[2]), len(strings))
        return f'<c r="{found[1]}" t="s"><v>{index}</v></c>'

    rewritten = []
    for info, data in parts:
        if info.filename == "xl/worksheets/sheet1.xml":
            xml = re.sub(
                r'<c r="([A-Z]+[0-9]+)" t="inlineStr"><is><t[^>]*>(.*?)</t></is></c>', shared, data.decode()
            )
            last = xml.rsplit('<row r="', 1)[1].split('"', 1)[0]
            xml = xml.replace("<sheetViews>", f'<dimension ref="A1:AE{last}"/><sheetViews>', 1)
            data = xml.encode()
        elif info.filename == "[Content_Types].xml":
            kind = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
            data = data.replace(
                b"</Types>",
                f'<Override PartName="/xl/sharedStrings.xml" ContentType="{kind}"/></Types>'.encode(),
            )
        elif info.filename == "xl/_rels/workbook.xml.rels":
            kind = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"
            link = f'<Relationship Id="rIdStrings" Type="{kind}" Target="sharedStrings.xml"/>'
            data = data.replace(b"</Relationships>", f"{link}</Relationships>".encode())
        rewritten.append((info, data))
    table = "".join(f"<si><t>{escape(s)}</t></si>" for s in strings)
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    sst = f'<sst xmlns="{main}" uniqueCount="{len(strings)}">{table}</sst>'
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as book:
        for info, data in rewritten:
            book.writestr(info, data)
        book.writestr("xl/sharedStrings.xml", sst)


def workbook(small: int, large: int, excel: bool) -> None:
    kind = "as Excel saves it" if excel else "as openpyxl's write-only mode writes it"
    print(f"\n(c) python -m bot assess on a generated workbook, {kind}: {small:,} vs {large:,} rows")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        figures = {}
        for rows in (small, large):
            source = folder / f"in_{rows}.xlsx"
            write_xlsx(source, rows, seed=rows)
            if excel:
                as_excel_saves_it(source)
            wall, peak, status = run_cli(source, folder / f"out_{rows}.xlsx")
            figures[rows] = (wall, peak)
            size = source.stat().st_size / 1e6
            print(
                f"  {rows:>9,} rows ({size:5.1f} MB): {wall:6.2f} s wall, {rows / wall:>8,.0f} rows/s, "
                f"peak RSS {peak:6.1f} MiB, exit {status}"
            )
        (t_small, m_small), (t_large, m_large) = figures[small], figures[large]
        times, memory = t_large / t_small, m_large / m_small
        print(f"  ratio {large // small}x rows: time ×{times:.2f}, peak memory ×{memory:.2f}")
        reading(folder / f"in_{large}.xlsx", large)


def reading(path: Path, rows: int) -> None:
    """(d): the time to read every cell of `path`, openpyxl against python-calamine."""
    from bot.batch.sheets import Sheet

    print(f"\n(d) reading {rows:,} rows of {len(XLSX_HEADER)} columns, every cell")
    start = time.perf_counter()
    sheet = Sheet(path, None)
    count = sum(1 for _ in sheet.rows())
    sheet.close()
    seconds = time.perf_counter() - start
    print(f"  openpyxl (read-only, with number formats) {seconds:6.2f} s, {count / seconds:>8,.0f} rows/s")
    try:
        from python_calamine import CalamineWorkbook  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        print("  python-calamine: not installed (pip install python-calamine to compare)")
        return
    start = time.perf_counter()
    book = CalamineWorkbook.from_path(str(path))
    count = sum(1 for _ in book.get_sheet_by_index(0).iter_rows())
    fast = time.perf_counter() - start
    rate, faster = count / fast, seconds / fast
    print(f"  python-calamine (no number formats)      {fast:6.2f} s, {rate:>8,.0f} rows/s, ×{faster:.1f}")


# ---------------------------------------------------------------- a JSON list


def write_json_list(path: Path, megabytes: int, seed: int) -> int:
    """A JSON list of random profiles of about `megabytes` MB (one profile a line, as a
    program writes them); the number of profiles."""
    import json

    rnd = random.Random(seed)

    def number(value: Any) -> Any:  # a Decimal as a JSON number (shares have two decimals)
        return int(value) if value == value.to_integral_value() else float(value)

    pool = [json.dumps(random_profile(rnd), ensure_ascii=False, default=number) for _ in range(1000)]
    count, size = 0, 0
    with path.open("w", encoding="utf-8") as fh:
        fh.write("[\n")
        while size < megabytes * 1_000_000:
            line = ("" if count == 0 else ",\n") + pool[count % len(pool)]
            fh.write(line)
            size += len(line.encode())
            count += 1
        fh.write("\n]\n")
    return count


def json_list(small: int, large: int) -> None:
    print(f"\n(e) python -m bot assess on a JSON list of profiles: {small} MB vs {large} MB")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        figures = {}
        for megabytes in (small, large):
            source = folder / f"in_{megabytes}.json"
            count = write_json_list(source, megabytes, seed=megabytes)
            wall, peak, status = run_cli(source, folder / f"out_{megabytes}.json")
            figures[megabytes] = (wall, peak)
            print(
                f"  {source.stat().st_size / 1e6:6.1f} MB, {count:>9,} profiles: {wall:6.2f} s wall, "
                f"{count / wall:>8,.0f} profiles/s, peak RSS {peak:6.1f} MiB, exit {status}"
            )
        (t_small, m_small), (t_large, m_large) = figures[small], figures[large]
        times, memory = t_large / t_small, m_large / m_small
        print(f"  ratio {large // small}x size: time ×{times:.2f}, peak memory ×{memory:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    parser.add_argument("--only", choices=["engine", "csv", "xlsx", "json"], help="run one part only")
    args = parser.parse_args()
    small, large = (1_000, 10_000) if args.quick else (10_000, 100_000)
    if args.only in (None, "engine"):
        in_process(5_000 if args.quick else 50_000)
    if args.only in (None, "csv"):
        spreadsheet(small, large)
    if args.only in (None, "xlsx"):
        workbook(small, large, excel=True)
        workbook(small, large, excel=False)
    if args.only in (None, "json"):
        sizes = (2, 20) if args.quick else (20, 200)
        json_list(*sizes)


if __name__ == "__main__":
    main()
