"""labkit's own words come from its message catalogue, in English and Japanese (labkit.i18n):
the catalogue holds every message marked in the code and translates each one, the committed
.mo is what its .po compiles to, and the language follows Lab(locale=...), else the
environment (the real CLI, run as a subprocess, for `labkit --help` and `labkit doctor`).
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import write_po

from labkit import checks, i18n
from labkit.lab import Lab
from labkit.locale import catalogue

ROOT = Path(__file__).resolve().parent.parent
LANG_VARS = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")
PLACEHOLDER = re.compile(r"\{(\w*)\}")
PERCENT = re.compile(r"%(?:\(\w+\))?[srd]")  # argparse's own sentences: %s, %(prog)s, %r
KANA = re.compile(r"[\u3040-\u30ff]")  # hiragana and katakana: Japanese, not just kanji


def _ids(catalog: object) -> set[object]:
    return {m.id if isinstance(m.id, str) else tuple(m.id) for m in catalog if m.id}


def _env(**lang: str) -> dict[str, str]:
    """This environment without its language variables, plus `lang`."""
    env = {k: v for k, v in os.environ.items() if k not in LANG_VARS}
    env.update(lang)
    return env


@pytest.fixture
def no_language(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in LANG_VARS:
        monkeypatch.delenv(var, raising=False)


def test_every_marked_message_is_in_the_template() -> None:
    """The .pot is what the code marks, no message more or less (catalogue.py remakes it)."""
    code, pot = _ids(catalogue.extract()), _ids(catalogue.read(catalogue.POT))
    assert not code - pot, f"marked in labkit/, not in labkit.pot: {sorted(map(str, code - pot))}"
    assert not pot - code, f"in labkit.pot, no longer in the code: {sorted(map(str, pot - code))}"


def test_the_template_is_what_extraction_writes() -> None:
    buf = io.BytesIO()
    write_po(buf, catalogue.extract(), width=100, include_lineno=False, ignore_obsolete=True)
    assert catalogue.POT.read_bytes() == buf.getvalue(), \
        "labkit.pot is stale: run python -m labkit.locale.catalogue"


@pytest.mark.parametrize("lang", catalogue.LANGUAGES)
def test_every_message_is_translated(lang: str) -> None:
    """Each message of the template has a translation, not fuzzy, with the same placeholders
    (a lost {name} would print a sentence with a hole; a new one a KeyError)."""
    po = catalogue.read(catalogue.po_path(lang), lang)
    assert _ids(po) == _ids(catalogue.read(catalogue.POT)), "run python -m labkit.locale.catalogue"
    for m in po:
        if not m.id:
            continue
        ids = [m.id] if isinstance(m.id, str) else list(m.id)
        strings = [m.string] if isinstance(m.string, str) else list(m.string)
        assert all(strings) and not m.fuzzy, f"{lang}: {m.id!r} is not translated"
        want = set(PLACEHOLDER.findall(ids[-1]))
        percent = sorted(PERCENT.findall(ids[-1]))  # %-formatting: each one, as many times
        for s in strings:
            assert set(PLACEHOLDER.findall(s)) == want, f"{lang}: {m.id!r} has {s!r}"
            assert sorted(PERCENT.findall(s)) == percent, f"{lang}: {m.id!r} has {s!r}"
            assert s.endswith("\n") == ids[-1].endswith("\n"), f"{lang}: {m.id!r} has {s!r}"


@pytest.mark.parametrize("lang", catalogue.LANGUAGES)
def test_the_committed_mo_is_the_po_compiled(lang: str) -> None:
    assert catalogue.mo_path(lang).read_bytes() == catalogue.compiled(lang), \
        f"{catalogue.mo_path(lang)} is stale: run python -m labkit.locale.catalogue"


def test_the_catalogue_is_package_data() -> None:
    """The wheel (and ./lab lite's Pyodide) carries the .mo the sim reads at run time."""
    tomllib = pytest.importorskip("tomllib")  # Python 3.11 on
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = data["tool"]["setuptools"]["package-data"]["labkit"]
    for lang in catalogue.LANGUAGES:
        mo = catalogue.mo_path(lang).relative_to(ROOT / "labkit")
        assert any(mo.match(p) for p in patterns), (mo, patterns)


def test_which_language() -> None:
    """gettext's order of variables; ja in any spelling; anything else English, no error."""
    assert i18n.language("ja") == i18n.language("ja_JP.UTF-8") == "ja"
    assert i18n.language("C", {"LANG": "ja_JP.UTF-8"}) == "en"  # a lab's own locale wins
    assert i18n.language(None, {"LANG": "ja_JP.UTF-8"}) == "ja"
    assert i18n.language(None, {"LANGUAGE": "en_US", "LANG": "ja_JP.UTF-8"}) == "en"
    assert i18n.language(None, {"LC_ALL": "ja_JP.eucJP", "LANG": "C"}) == "ja"
    assert i18n.language(None, {"LANGUAGE": "fr:ja"}) == "ja"  # the first labkit speaks
    assert i18n.language(None, {"LANG": "klingon"}) == "en"
    assert i18n.language(None, {}) == "en"
    assert i18n.language(42, {"LANG": "xx_YY.UTF-8"}) == "en"  # type: ignore[arg-type]


def test_a_ja_lab_checks_in_japanese_a_default_lab_in_english(no_language: None) -> None:
    expect = [checks.bond("bond0", mode="active-backup"), checks.slaves("bond0", "ens37"),
              checks.monitored("bond0"), checks.cable("ens37", plugged=False)]
    with Lab(engine="sim", locale="ja") as lab:
        ja = checks.check(lab, *expect, exercise="02-bond")
        alone = checks.bond("bond0")(lab)  # an expectation on its own speaks its lab's too
    with Lab(engine="sim") as lab:
        en = checks.check(lab, *expect, exercise="02-bond")
    assert not ja.ok and not en.ok
    assert len(ja.problems) == len(en.problems) == 2  # the missing bond once, and the cable
    assert ja.problems[1].startswith("ens37 のケーブルがつながっています。")
    assert ja.problems[0].startswith("server には bond0 というボンドがまだありません: ")
    assert "`nmcli connection add type bond con-name bond0 ifname bond0 mode active-backup`" \
        in ja.problems[0]  # the command stays as typed
    assert KANA.search(alone[0])
    assert ja.text().startswith("まだです:\n  - server には")
    bundle = ja._repr_mimebundle_()
    assert bundle[checks.MIME] == {"exercise": "02-bond", "ok": False,
                                   "problems": list(ja.problems)}
    assert en.text().startswith("Not yet:\n  - there is no bond called bond0 on server yet: "
                                "create it with `nmcli connection add type bond")
    assert not any(KANA.search(p) for p in en.problems)


def test_a_default_lab_follows_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in LANG_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LANG", "ja_JP.UTF-8")
    with Lab(engine="sim", networkmanager=False) as lab:
        assert lab.language == "ja" and lab.locale == "C"  # nmcli's locale is the lab's own
        report = checks.check(lab, checks.bond("bond0"))
    assert report.problems[0].startswith("server には bond0 というボンドがまだありません")
    assert "`ip link add bond0 type bond mode active-backup miimon 100`" in report.problems[0]
    assert report.text().startswith("まだです:")


def test_help_and_dashboard_speak_the_running_labs_language(no_language: None) -> None:
    from labkit.notebook import help as help_controls
    from labkit.notebook.dashboard import Dashboard

    with Lab(engine="sim", locale="ja") as lab:
        hints = help_controls.hints("02-bond", ["a", "b"], solution="x")
        board = Dashboard(lab)
        assert hints.hint_button.description == "ヒントを見る"
        assert hints.text().startswith("演習 02-bond のヘルプ: ヒント 2 個と解答。")
        assert board.reset_button.description == "ラボをリセット"
        assert any(b.description == "ens37 を抜く" for b in board.buttons.values())
        hints._next_hint()
        assert "ヒント 1/2。" in hints.shown.children[0].value
    assert help_controls.hints("02-bond", ["a"]).hint_button.description == "Show a hint"


def _labkit(*args: str, **lang: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "labkit", *args], capture_output=True,
                          text=True, env=_env(**lang), timeout=120, check=False)


def test_cli_help_in_japanese() -> None:
    ja = _labkit("--help", LANG="ja_JP.UTF-8")
    assert ja.returncode == 0, ja.stderr
    assert ja.stdout.startswith("使い方: labkit ")
    assert "シナリオファイルを実行し、その記録を表示します" in ja.stdout
    en = _labkit("--help", LANG="xx_YY.UTF-8")  # a language labkit has no words for
    assert en.returncode == 0 and not en.stderr, en.stderr
    assert en.stdout.startswith("usage: labkit ")
    assert "run a scenario file and print its transcript" in en.stdout


def test_doctor_in_japanese() -> None:
    ja = _labkit("doctor", LANG="ja_JP.UTF-8")
    assert ja.returncode == 0, ja.stderr
    lines = ja.stdout.splitlines()
    assert any(line.startswith("CAP_NET_ADMIN  ") for line in lines)  # the keys stay
    assert re.search(r"^KVM +(はい|いいえ) +\S", ja.stdout, re.M), ja.stdout
    assert "エンジン auto: " in ja.stdout
    en = _labkit("doctor", LANGUAGE="de", LANG="ja_JP.UTF-8")  # LANGUAGE first: not ours
    assert en.returncode == 0 and re.search(r"^KVM +(yes|no ) +\S", en.stdout, re.M), en.stdout
    assert not KANA.search(en.stdout)


def test_argparse_messages_are_what_this_pythons_argparse_says() -> None:
    """cli.ARGPARSE_MESSAGES are looked up by argparse's own words: one it no longer says (a
    new Python reworded it) would silently come out English."""
    import argparse
    import inspect

    from labkit import cli

    source = inspect.getsource(argparse)
    missing = [m for m in cli.ARGPARSE_MESSAGES
               if repr(m) not in source and m.replace("\n", "\\n") not in source]
    assert not missing, f"argparse no longer says {missing}"


@pytest.mark.parametrize(("args", "ja", "en"), [
    (["replay"], "labkit replay: エラー: 次の引数が必要です: scenario",
     "labkit replay: error: the following arguments are required: scenario"),
    (["course", "build", "--lang", "xx"],
     "labkit course build: エラー: 引数 --lang: 'xx' は選べません ('en', 'ja' から選んでください)",
     "labkit course build: error: argument --lang: invalid choice: 'xx' (choose from 'en', "
     "'ja')"),
    (["doctor", "--bogus"], "labkit: エラー: 認識できない引数です: --bogus",
     "labkit: error: unrecognized arguments: --bogus"),
    (["replay", "x.scn", "--engine"], "labkit replay: エラー: 引数 --engine: 引数が 1 つ必要です",
     "labkit replay: error: argument --engine: expected one argument"),
])
def test_argparse_errors_speak_the_environments_language(args: list[str], ja: str,
                                                          en: str) -> None:
    said = _labkit(*args, LANG="ja_JP.UTF-8")
    assert said.returncode == 2 and said.stderr.splitlines()[0].startswith("使い方: labkit")
    assert said.stderr.splitlines()[-1] == ja
    said = _labkit(*args, LANGUAGE="en", LANG="ja_JP.UTF-8")
    assert said.returncode == 2 and said.stderr.splitlines()[-1] == en


def test_argparse_is_its_own_again_after_main(monkeypatch: pytest.MonkeyPatch) -> None:
    """main() lends argparse labkit's catalogue only while it runs (a program importing
    labkit.cli keeps argparse's gettext)."""
    import argparse

    from labkit import cli

    before = argparse._  # type: ignore[attr-defined]
    monkeypatch.setenv("LANGUAGE", "ja")
    with pytest.raises(SystemExit):
        cli.main(["replay"])
    assert argparse._ is before  # type: ignore[attr-defined]
    with cli.argparse_speaking():
        assert argparse._("expected one argument") == "引数が 1 つ必要です"  # type: ignore


def test_japanese_help_is_wrapped_by_display_width() -> None:
    """argparse counts a wide character as one column and breaks at spaces only: a line of
    Japanese help would run twice the terminal's width."""
    from labkit import cli

    columns = 80  # argparse wraps at 78: its help column has 54, which 54 kanji would double
    said = _labkit("course", "build", "--help", LANG="ja_JP.UTF-8", COLUMNS=str(columns))
    assert said.returncode == 0 and KANA.search(said.stdout), said.stderr
    too_wide = [line for line in said.stdout.splitlines() if cli.width(line) > columns]
    assert not too_wide, too_wide
    assert cli.wrap("ボンドを作ります。次にスレーブを足します", 10) == [
        "ボンドを作", "ります。次", "にスレーブ", "を足します"]  # 。 never begins a line
    assert cli.wrap("nmcli connection add を実行します", 19) == [
        "nmcli connection", "add を実行します"]
    english = _labkit("course", "build", "--help", LANGUAGE="en", COLUMNS=str(columns))
    assert max(map(len, english.stdout.splitlines())) <= columns


def test_the_cli_says_its_other_words_in_japanese(tmp_path: Path) -> None:
    """`labkit notebooks`, the engine's reason and the course command's words."""
    course = tmp_path / "course"
    course.mkdir()
    (course / "00-start.ipynb").write_text("{}")
    env = {"LANG": "ja_JP.UTF-8", "LABKIT_NOTEBOOKS": str(tmp_path / "mine")}
    made = _labkit("notebooks", "--course", str(course), **env)
    assert made.returncode == 0, made.stderr
    mine = tmp_path / "mine"
    assert made.stderr == ("labkit: コースのノートブック 1 個のあなた用のコピーを "
                           f"{mine} に作りました\n")
    missing = _labkit("notebooks", "--course", str(course), "reset", "09", **env)
    assert (missing.returncode, missing.stderr) == (
        2, "labkit: コースのノートブック '09' はありません (あるのは 00 です)\n")
    forced = _labkit("doctor", "--engine", LABKIT_ENGINE="sim", LANG="ja_JP.UTF-8")
    assert forced.stdout == "エンジン: sim (LABKIT_ENGINE=sim で指定されています)\n"
    course_help = _labkit("course", "--help", LANG="ja_JP.UTF-8")
    assert "コースのノートブックは、レッスンごとに 1 つのテキストのソース" in course_help.stdout


def test_usage_errors_speak_the_language_spoken() -> None:
    from labkit.errors import UsageTypeError

    with i18n.speaking("ja"), pytest.raises(UsageTypeError) as said:
        checks.answer(3, "x", "y")  # type: ignore[arg-type]
    assert str(said.value).startswith("checks.answer: what は文字列でなければなりません (")
    with i18n.speaking("en"), pytest.raises(UsageTypeError) as said:
        checks.answer(3, "x", "y")  # type: ignore[arg-type]
    assert str(said.value).startswith("checks.answer: what must be a string, not ")


def test_graded_feedback_speaks_the_checks_language(no_language: None) -> None:
    """nbgrader's feedback for a graded check that is not ok: 'Not yet:' in its lab's language."""
    pytest.importorskip("IPython")
    from labkit.classroom.grading import NotYet, graded

    with Lab(engine="sim", locale="ja", networkmanager=False) as lab:
        report = checks.check(lab, checks.bond("bond0"), exercise="02-bond")
    with pytest.raises(NotYet) as said:
        graded(report)
    assert str(said.value).startswith("まだです:\n- server には bond0 というボンドがまだありません")
    with Lab(engine="sim", networkmanager=False) as lab:
        report = checks.check(lab, checks.bond("bond0"), exercise="02-bond")
    with pytest.raises(NotYet) as said:
        graded(report)
    assert str(said.value).startswith("Not yet:\n- there is no bond called bond0")


def test_the_session_and_the_builds_pin_their_language(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """The test session speaks English on a Japanese machine (conftest), and a course build
    runs its notebooks in the course's language whatever the builder's LANG."""
    import nbformat

    from labkit.course import build, sources

    assert os.environ.get("LANGUAGE") == "en" and i18n.from_environment() == "en"
    assert build.language_of(sources.read(ROOT / "lessons" / "00-start-here.md")) == "en"
    assert build.language_of(sources.read(ROOT / "lessons" / "ja" / "00-start-here.md")) == "ja"
    monkeypatch.setenv("LANG", "ja_JP.UTF-8")
    monkeypatch.setenv("LANGUAGE", "ja")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "from labkit import i18n; print(i18n.current())")])
    build.execute(nb, tmp_path, "pinned", "en")
    assert nb.cells[0].outputs[0]["text"] == "en\n"


def test_a_roster_mistake_is_said_in_japanese() -> None:
    """The teacher reads what is wrong with their roster in their language, line by line."""
    from labkit.classroom import roster

    with i18n.speaking("ja"), pytest.raises(roster.RosterError) as said:
        roster.parse("alice\nalice\nBob\nidle-timeout: soon\n", Path("class.txt"))
    assert str(said.value).split("\n") == [
        "この名簿は使えません:",
        "  class.txt:2: alice は 1 行目にすでにあります",
        "  class.txt:3: 'Bob' は Unix のアカウント名ではありません "
        "(小文字の英字、数字、'_'、'-' で、英字で始まり 32 文字まで)",
        "  class.txt:4: idle-timeout は時間の長さです (90、90s、30m、1h、never)。"
        "'soon' ではありません"]
