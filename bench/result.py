"""How fast and how big the result's picture and report are, and how long its text is.
Prints figures and ratios; asserts nothing.

(a) The score card PNG (1080×1350) of the worked examples A, B and C in Chinese and
    English, drawn and encoded on one core: p50/p99/max milliseconds per card and the
    file sizes. Baseline, side by side: the same cards saved as full-colour PNGs (no
    palette), what the palette buys in size and costs in time.
(b) The PDF report of the same examples: p50/p99/max milliseconds per report, sizes and
    pages. Baseline: the same reports embedding from the whole Noto Sans CJK collection
    (fpdf2's plain way), against the cut-down TrueType font the project caches.
(c) The short result text: screen lines at 60 columns (wide characters count 2) of each
    worked example, alone and with the /result reminder and a progress line on top.
(d) First use on a machine: cutting the PDF font into an empty cache folder.

Aims: p99 < 150 ms per PNG, < 300 ms per PDF, PNG < 300 KB, text ≤ 15 lines.

Run from the repository root: ``python -m bench.result [--runs 50] [--quick]``.
"""

from __future__ import annotations

import argparse
import functools
import io
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

from pypdf import PdfReader

from bench.dialog import pin_to_one_core
from bot.media import fonts
from bot.media.card import draw, render_card
from bot.media.pdf import render_report
from dialogs import results
from dialogs.engine import DialogEngine
from dialogs.messages import Document, Image
from rules.compare import compare
from tests.rules.examples import EXAMPLE_A, EXAMPLE_B, EXAMPLE_C, SCORE_70, assess_answers

TODAY = date(2026, 11, 23)
EXAMPLES = {"A": EXAMPLE_A, "B": EXAMPLE_B, "C": EXAMPLE_C}
ENGINE = DialogEngine()


def timed(fn: Callable[[], bytes], runs: int) -> tuple[list[float], bytes]:
    fn()  # warm: fonts loaded, caches filled
    times, data = [], b""
    for _ in range(runs):
        start = time.perf_counter()
        data = fn()
        times.append((time.perf_counter() - start) * 1000)
    return times, data


def quantiles(times: list[float]) -> str:
    ordered = sorted(times)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return f"p50 {statistics.median(ordered):6.1f}  p99 {p99:6.1f}  max {ordered[-1]:6.1f} ms"


def media_of() -> list[tuple[str, Image, Document]]:
    out = []
    for name, answers in EXAMPLES.items():
        a = assess_answers(answers, TODAY)
        for lang in ("zh", "en"):
            out.append(
                (
                    f"{name}/{lang}",
                    ENGINE.score_image(lang, a, TODAY),
                    ENGINE.report_document(lang, a, dict(answers), TODAY),
                )
            )
    return out


def full_colour_png(image: Image) -> bytes:
    picture, _ = draw(image.card)
    out = io.BytesIO()
    picture.save(out, "PNG", optimize=False, compress_level=6)
    return out.getvalue()


def bench_png(items: list[tuple[str, Image, Document]], runs: int) -> None:
    print(f"(a) score card PNG, {runs} renders of each")
    all_times, base_times = [], []
    for label, image, _ in items:
        times, data = timed(functools.partial(render_card, image.card), runs)
        base, plain = timed(functools.partial(full_colour_png, image), max(5, runs // 5))
        all_times += times
        base_times += base
        sizes = f"{len(data) / 1024:6.1f} KB   full colour {len(plain) / 1024:6.1f} KB"
        print(f"  {label}:  {quantiles(times)}  {sizes}")
    ratio = statistics.median(all_times) / statistics.median(base_times)
    print(f"  all:  {quantiles(all_times)}   (aim p99 < 150 ms, < 300 KB)")
    print(f"  baseline full colour: {quantiles(base_times)}; palette/full-colour time ratio {ratio:.2f}")


def bench_pdf(items: list[tuple[str, Image, Document]], runs: int) -> None:
    print(f"(b) PDF report, {runs} renders of each")
    all_times, base_times = [], []
    whole_face = fonts.full_pdf_font()
    for label, _, document in items:
        times, data = timed(functools.partial(render_report, document.report), runs)
        pages = len(PdfReader(io.BytesIO(data)).pages)
        base, whole = timed(functools.partial(render_report, document.report, whole_face), max(3, runs // 10))
        all_times += times
        base_times += base
        print(
            f"  {label}:  {quantiles(times)}  {len(data) / 1024:6.1f} KB, {pages} pages"
            f"   whole collection: p50 {statistics.median(base):6.1f} ms, {len(whole) / 1024:6.1f} KB"
        )
    ratio = statistics.median(base_times) / statistics.median(all_times)
    print(f"  all:  {quantiles(all_times)}   (aim p99 < 300 ms)")
    print(f"  baseline whole collection: {quantiles(base_times)}; {ratio:.1f}× slower than the cut font")


def bench_text() -> None:
    print("(c) the short result, screen lines at 60 columns (budget 15)")
    earlier = assess_answers(EXAMPLE_C, date(2026, 3, 2)).contract()
    for name, answers in {**EXAMPLES, "SCORE_70": SCORE_70}.items():
        a = assess_answers(answers, TODAY)
        row = []
        for lang in ("zh", "en"):
            view = ENGINE.view(lang)
            alone = results.screen_lines("\n\n".join(results.short_result(a, view)))
            progress = results.progress_line(compare(earlier, a.contract()), date(2026, 3, 2), view)
            intro = ENGINE.cat.text(lang, "result.again", date="2026-03-02")
            both = results.screen_lines(
                "\n\n".join(results.short_result(a, view, intro=intro, progress=progress))
            )
            row.append(f"{lang} {alone:2d} ({both:2d} with reminder and progress)")
        print(f"  {name:8s}  " + "   ".join(row))


def bench_first_use() -> None:
    with tempfile.TemporaryDirectory() as folder:
        before = os.environ.get(fonts.CACHE_ENV)
        os.environ[fonts.CACHE_ENV] = folder
        fonts.pdf_font.cache_clear()
        start = time.perf_counter()
        made = fonts.pdf_font()
        took = time.perf_counter() - start
        size = Path(made.path).stat().st_size
        fonts.pdf_font.cache_clear()
        if before is None:
            os.environ.pop(fonts.CACHE_ENV)
        else:
            os.environ[fonts.CACHE_ENV] = before
    chars = len(made.glyphs)
    print(f"(d) first use: the PDF font cut to {chars:,} characters in {took:.2f} s, {size / 1024:.0f} KB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=50, help="renders of each card and report (50)")
    parser.add_argument("--quick", action="store_true", help="10 renders of each")
    args = parser.parse_args()
    runs = 10 if args.quick else args.runs
    print(f"zjtx result media benchmark, {pin_to_one_core()}")
    items = media_of()
    bench_png(items, runs)
    bench_pdf(items, runs)
    bench_text()
    bench_first_use()


if __name__ == "__main__":
    main()
