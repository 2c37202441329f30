"""The shareable report: every section, offline, escaped, well-formed; the comparison and its settings diff."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from modeling.errors import ModelDeckError, RunError
from modeling.reporting import comparison as cmp
from modeling.reporting.compare_report import compare_report_html
from modeling.reporting.html import PLOTLY_JS_MARK, markdown_block, markdown_inline, strip_plotly_js
from modeling.reporting.limitations import describe_language, limitations
from modeling.reporting.run_report import run_report_html
from modeling.runs.store import RunStore
from tests.fake_runs import HOSTILE_CLASS, HOSTILE_DATA, HOSTILE_TEXT, make_run

RUN_SECTIONS = [
    "summary",
    "figures",
    "decision",
    "confidence",
    "mistakes",
    "limitations",
    "data",
    "training",
    "reproduce",
]
VOID = {"meta", "br", "img", "hr", "input", "link", "col", "source", "wbr", "area", "base", "embed", "track"}


class _Parsed(HTMLParser):
    """Tags, ids, scripts and text of a document, and whether every opened tag was closed in order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.ids: set[str] = set()
        self.scripts: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self._in_script = False
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if attributes.get("id"):
            self.ids.add(str(attributes["id"]))
        if tag in VOID:
            return
        self.stack.append(tag)
        if tag == "script":
            self._in_script = True
            self.scripts.append("")

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1] if self.stack else 'nothing'}")
            return
        self.stack.pop()
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts[-1] += data
        else:
            self.text.append(data)


def _parse(document: str) -> _Parsed:
    parsed = _Parsed()
    parsed.feed(document)
    parsed.close()
    assert not parsed.errors, parsed.errors[:5]
    assert parsed.stack == [], parsed.stack
    return parsed


@pytest.fixture
def store(tmp_path: Path) -> RunStore:
    return RunStore(tmp_path)


@pytest.fixture
def hostile_run(store: RunStore):
    make_run(store.root, "hostile", class_names=["calm", HOSTILE_CLASS], data_name=HOSTILE_DATA, n=80)
    return store.load("hostile")


# ---- the run report -----------------------------------------------------------------------------------------------
def test_run_report_has_every_section_in_memo_order(store):
    make_run(store.root, "plain", n=80)
    run = store.load("plain")
    document = run_report_html(run, now=0)
    parsed = _parse(document)
    assert set(RUN_SECTIONS) <= parsed.ids
    positions = [document.index(f'<section id="{name}">') for name in RUN_SECTIONS]
    assert positions == sorted(positions), "sections are out of the memo order"
    text = " ".join(parsed.text)
    assert "On 80 texts it had never seen" in text  # the business summary
    assert "95% interval" in text and "Test size" in text
    assert "Always answers 'negative', the most common label" in text  # baselines with their lift
    assert "python -m modeling train settings.yaml" in text
    assert "learning_rate: 0.03" in text  # the YAML settings, verbatim
    assert "Examples of mistakes, most confident first" in text
    assert "“review number" in text  # a quoted mistake


def test_run_report_draws_its_charts_with_inlined_plotly(store):
    make_run(store.root, "plain", n=80)
    document = run_report_html(store.load("plain"))
    parsed = _parse(document)
    bundles = [s for s in parsed.scripts if len(s) > 1_000_000]
    assert len(bundles) == 1, "Plotly's JavaScript must be inlined exactly once"
    charts = [attrs for tag, attrs in parsed.tags if tag == "div" and "plotly-graph-div" in (attrs.get("class") or "")]
    calls = [s for s in parsed.scripts if "Plotly.newPlot(" in s and len(s) < 1_000_000]
    # summary baselines, reliability, coverage, confusion, class balance, training curves at least
    assert len(charts) >= 6
    assert len(calls) == len(charts)
    assert all(f'"{attrs["id"]}"' in "".join(calls) for attrs in charts)


def test_report_fetches_nothing_from_the_network(store):
    make_run(store.root, "plain", n=80, kind="image", class_names=[str(d) for d in range(3)])
    document = run_report_html(store.load("plain"))
    assert PLOTLY_JS_MARK in document
    rest = strip_plotly_js(document)
    assert len(rest) < len(document) - 1_000_000
    # Outside Plotly's own bundle (whose licence comments and map styles name web addresses that a
    # chart without maps never requests), nothing names a network address or loads a resource.
    assert not re.search(r"https?:|//[a-z0-9.-]+\.[a-z]{2,}/", rest, re.IGNORECASE), re.findall(
        r".{40}https?:.{40}", rest
    )
    parsed = _parse(document)
    for tag, attrs in parsed.tags:
        assert tag != "link", attrs
        if tag == "script":
            assert "src" not in attrs, attrs
        if tag == "img":
            assert str(attrs.get("src", "")).startswith("data:image/png;base64,"), attrs


def test_image_mistakes_are_inline_pictures(store):
    make_run(store.root, "digits", n=60, kind="image", class_names=[str(d) for d in range(3)], accuracy=0.5)
    parsed = _parse(run_report_html(store.load("digits")))
    images = [attrs for tag, attrs in parsed.tags if tag == "img"]
    assert 1 <= len(images) <= 24
    assert all(len(str(a["src"])) < 4_000 for a in images), "thumbnails must stay small"
    assert any("true " in str(a.get("alt")) for a in images)


def test_hostile_names_and_texts_are_escaped(hostile_run):
    document = run_report_html(hostile_run)
    parsed = _parse(document)
    # No script other than Plotly's bundle and its chart calls ...
    assert all(s.lstrip().startswith(("window.PLOTLYENV", "/**")) or len(s) > 1_000_000 for s in parsed.scripts)
    # ... and the hostile strings appear only as text.
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in document
    assert "<script>alert(1)" not in document
    assert "<script>steal()" not in document and "&lt;script&gt;steal()&lt;/script&gt;" in document
    assert "<img src=x" not in document and "&lt;img src=x onerror=&quot;alert(3)&quot;&gt;" in document
    assert 'href="javascript' not in document
    text = " ".join(parsed.text)
    assert HOSTILE_CLASS in text and HOSTILE_DATA in text
    assert HOSTILE_TEXT.replace("**", "").split("]")[0] in text or "<script>steal()</script>" in text


def test_sections_without_data_say_so_instead_of_drawing_nothing(store):
    make_run(store.root, "old", n=50, predictions=False)
    document = run_report_html(store.load("old"))
    text = " ".join(_parse(document).text)
    assert "No decision rule was saved for this run" in text
    # Without saved probabilities (and no model to recompute them), calibration and coverage are explained.
    assert "could not be computed for this run" in text
    # The accuracy interval falls back to Wilson's, which needs only n and the accuracy.
    assert "Wilson" in text
    assert "Copies shared by the training and test splits were not checked" in text


def test_saved_decision_rule_shows_its_money_and_escapes_the_currency(store):
    from modeling.evaluation.decisions import Decision, OutcomeNames, OutcomeValues
    from modeling.runs.decision_rules import save_decision

    path = make_run(store.root, "money", n=100, accuracy=0.85)
    save_decision(
        path,
        Decision(),
        threshold=0.3,
        positive_class="positive",
        min_confidence=0.7,
        outcome_values=OutcomeValues(tp=100, fp=-20, fn=-50, tn=0).model_dump(),
        outcome_names=OutcomeNames(tp="<b>caught</b>", fp="wasted offer", fn="missed", tn="fine").model_dump(),
        currency="<i>€",
        expected_value_per_1000=1234.0,
        expected_value_default_per_1000=1000.0,
    )
    document = run_report_html(store.load("money"))
    text = " ".join(_parse(document).text)
    assert "At the saved threshold of 30% the model is worth about" in text
    assert "per 1,000 cases" in text
    assert "<b>caught</b> (flagged 'positive', and it was)" in text
    assert "&lt;b&gt;caught&lt;/b&gt;" in document and "<b>caught" not in document
    assert "<i>€" not in document and "&lt;i&gt;€" in document
    assert "If the model only answers when it is at least 70% sure" in text
    assert "no level was saved" not in text


def test_report_refuses_a_run_without_evaluation(store):
    path = make_run(store.root, "broken", n=40)
    (path / "evaluation.json").unlink()
    with pytest.raises(RunError, match="no saved evaluation"):
        run_report_html(store.load("broken"))


def test_limitations_name_small_test_sets_and_imbalance(store):
    make_run(store.root, "small", n=40, class_names=["a", "b", "c"], accuracy=0.6)
    run = store.load("small")
    run.meta["dataset"]["class_counts"] = {"a": 300, "b": 40, "c": 20}
    items = " ".join(limitations(run, run.evaluation))
    assert "Small test set: 40 examples" in items
    assert "The classes are unbalanced ('a': 300 examples, 'c': 20)" in items
    assert "only knows the 3 labels" in items


def test_language_guess():
    assert describe_language(["The battery is great and it was cheap", "I do not like this at all"]) == "in English"
    assert describe_language(["这个产品很好用，我很喜欢", "质量太差了"]) == "in Chinese or Japanese script"
    assert describe_language(["Das Produkt ist leider kaputt", "Sehr gut verpackt, schnelle Lieferung"]) == (
        "not recognisably English"
    )


def test_markdown_subset_is_escaped_and_balanced():
    assert markdown_inline(r"a \*b\* **c** `d` [x](javascript:y) <i>") == (
        "a *b* <strong>c</strong> <code>d</code> [x](javascript:y) &lt;i&gt;"
    )
    assert markdown_inline("**unclosed and <b>") == "**unclosed and &lt;b&gt;"
    assert markdown_block("one\n\n- two\n- three") == "<p>one</p>\n<ul><li>two</li><li>three</li></ul>"


# ---- comparing runs -----------------------------------------------------------------------------------------------
def test_settings_diff_lists_exactly_the_fields_that_differ(store):
    make_run(store.root, "a", settings={"learning_rate": 0.01, "epochs": 10})
    make_run(store.root, "b", settings={"learning_rate": 0.001, "epochs": 10})
    make_run(store.root, "c", settings={"learning_rate": 0.01, "epochs": 30})
    runs = [store.load(r) for r in ("a", "b", "c")]
    diff = cmp.differing_settings(runs)
    assert [row.field for row in diff] == ["settings.learning_rate", "settings.epochs"]
    assert diff[0].values == ("0.01", "0.001", "0.01")
    assert diff[1].values == ("10", "10", "30")
    assert not cmp.differing_settings([runs[0], runs[0]])
    every = cmp.settings_rows(runs)
    assert {"data.source", "settings.seed", "Data set"} <= {row.field for row in every}
    assert len(every) > len(diff)
    # Another template with the very same settings differs in the template only.
    make_run(store.root, "d", template="conv1d", settings=runs[0].config.settings.model_dump())
    assert [row.field for row in cmp.differing_settings([runs[0], store.load("d")])] == ["template"]


def test_a_different_data_set_is_a_difference_and_a_warning(store):
    make_run(store.root, "a", data_name="Reviews 2024")
    make_run(store.root, "b", data_name="Reviews 2025")
    runs = [store.load("a"), store.load("b")]
    assert [row.field for row in cmp.differing_settings(runs)] == ["Data set"]
    assert cmp.same_test_set(runs)  # same source, rows, share and seed
    runs[1].meta["dataset"]["rows"] = 999
    assert not cmp.same_test_set(runs)
    figures = [cmp.run_figures(run, label) for run, label in zip(runs, cmp.short_labels(runs), strict=True)]
    assert "not tested on the same examples" in " ".join(cmp.comparison_sentences(figures, False))


def test_comparison_needs_two_runs_of_one_task(store):
    make_run(store.root, "text")
    make_run(store.root, "image", kind="image", class_names=["0", "1", "2"])
    text, image = store.load("text"), store.load("image")
    with pytest.raises(ModelDeckError, match="at least two runs"):
        compare_report_html([text])
    with pytest.raises(ModelDeckError, match="different tasks"):
        compare_report_html([text, image])
    with pytest.raises(ModelDeckError, match="picked twice"):
        compare_report_html([text, text])


def test_comparison_sentences_say_when_intervals_overlap(store):
    make_run(store.root, "good", n=60, accuracy=0.9, seed=1)
    make_run(store.root, "close", n=60, accuracy=0.85, seed=2)
    runs = [store.load("good"), store.load("close")]
    figures = [cmp.run_figures(run, label) for run, label in zip(runs, ["A", "B"], strict=True)]
    words = " ".join(cmp.comparison_sentences(figures, True))
    best = max(figures, key=lambda f: f.accuracy)
    assert f"The most accurate run is {best.label}" in words
    assert "cannot tell the two apart" in words  # 60 examples: intervals ~20 points wide


def test_compare_report_has_its_sections_and_escapes(store):
    make_run(store.root, "a", class_names=["calm", HOSTILE_CLASS], data_name=HOSTILE_DATA, settings={"epochs": 5})
    make_run(store.root, "b", class_names=["calm", HOSTILE_CLASS], data_name=HOSTILE_DATA, settings={"epochs": 9})
    document = compare_report_html([store.load("a"), store.load("b")], now=0)
    parsed = _parse(document)
    assert {"summary", "figures", "curves", "settings", "runs"} <= parsed.ids
    text = " ".join(parsed.text)
    assert "2 text classification runs compared" in text
    assert "1 setting differs between these runs" in text
    assert "settings.epochs" in text and "Lift vs always the commonest answer" in text
    assert "<script>alert(1)" not in document and "<img src=x" not in document
    rest = strip_plotly_js(document)
    assert not re.search(r"https?:", rest)
    diff_rows = re.findall(r'<tr class="diff"><td>([^<]+)</td>', document)
    assert diff_rows.count("settings.epochs") == 2  # in the diff table and highlighted in "all settings"
    assert "settings.learning_rate" not in diff_rows


def test_pdf_is_refused_with_a_reason_where_chromium_is_missing(monkeypatch):
    from modeling.reporting import pdf

    monkeypatch.setenv("MODELDECK_CHROMIUM", "/nonexistent/chromium")
    monkeypatch.setattr(pdf, "CHROMIUM_PATHS", ())
    monkeypatch.setattr(pdf.shutil, "which", lambda name: None)
    reason = pdf.pdf_unavailable_reason()
    assert reason and "Chromium" in reason and "HTML" in reason
    assert pdf.html_to_pdf("<p>x</p>") is None
