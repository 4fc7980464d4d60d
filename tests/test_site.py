"""The built site: glued numbers, answer toggles, links, the execution report and the cache.

The book is built once per session in the smoke profile, with warnings as errors, inside a
temporary copy of the repository (see site_build.py), and the tests read the copy's
_build/html. The stale-cache test edits the package in a second copy and builds again.
Two builds take a few minutes on two cores.
"""

from __future__ import annotations

import functools
import http.server
import json
import re
import shutil
import subprocess
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
import yaml
from bs4 import BeautifulSoup

import site_build

COLAB = "https://colab.research.google.com"
# A value glued with {glue} renders as text such as "1.792", "NaN or infinite" or "12.5%".
LOSS = r"(?:-?\d+(?:\.\d+)?(?:e[-+]?\d+)?|NaN or infinite)"
PERCENT = r"\d+(?:\.\d+)?%"
ANSWER_ADMONITION = re.compile(r"^(`{3,})\{admonition\}[ \t]*(Answer[^\n]*)\n(.*?)^\1[ \t]*$", re.MULTILINE | re.DOTALL)


@dataclass(frozen=True)
class Site:
    repository: Path
    html: Path
    photo_cache: Path
    build: site_build.BuildResult

    def page(self, name: str) -> BeautifulSoup:
        return parse(self.html / name)

    def pages(self) -> dict[str, BeautifulSoup]:
        """Return every built page except the theme's templates under _static/."""
        return {
            path.relative_to(self.html).as_posix(): parse(path)
            for path in sorted(self.html.rglob("*.html"))
            if "_static" not in path.relative_to(self.html).parts
        }


@functools.lru_cache(maxsize=None)
def parse(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def plain_text(element) -> str:
    """Return the element's text with typographic apostrophes made plain and spaces collapsed."""
    text = element.get_text("").replace("\u2019", "'")
    return " ".join(text.split())


def answer_admonitions(page: BeautifulSoup) -> list:
    return [
        admonition
        for admonition in page.select("div.admonition")
        if plain_text(admonition.select_one(".admonition-title")).startswith("Answer")
    ]


def source_answers(repository: Path) -> list[tuple[str, str, str]]:
    """Return (title, options, body) of each answer admonition in book/assignment.md."""
    source = (repository / "book" / "assignment.md").read_text()
    answers = []
    for match in ANSWER_ADMONITION.finditer(source):
        lines = match.group(3).splitlines()
        options = "\n".join(line for line in lines if line.startswith(":"))
        body = "\n".join(line for line in lines if not line.startswith(":"))
        answers.append((match.group(2).strip(), options, body))
    return answers


def opening_words(markdown_body: str, count: int = 6) -> str:
    """Return the first ``count`` words of the body's first line, without Markdown markup."""
    first_line = next(line for line in markdown_body.splitlines() if line.strip())
    text = re.sub(r"^\s*[-*]\s+", "", first_line)
    text = text.replace("**", "").replace("`", "").replace("*", "")
    return " ".join(text.split()[:count])


def expected_smoke_banner() -> str:
    from garbage_classifier import notebook, profiles

    return notebook.profile_banner(profiles.get_profile("smoke"))


def local_target(html_root: Path, page: Path, reference: str) -> Path | None:
    """Return the file a link points to, or None for external links and pure anchors."""
    parts = urlsplit(reference)
    if parts.scheme or parts.netloc or not parts.path:
        return None
    target = (page.parent / unquote(parts.path)).resolve()
    if reference.endswith("/") or target.is_dir():
        target = target / "index.html"
    return target


def broken_references(site: Site, selectors: dict[str, str]) -> list[str]:
    """Return 'page: tag attribute=value' for each local reference whose file is missing."""
    html_root = site.html.resolve()
    broken = []
    for name in site.pages():
        page_path = site.html / name
        for selector, attribute in selectors.items():
            for element in site.page(name).select(selector):
                target = local_target(html_root, page_path.resolve(), element[attribute])
                if target is None:
                    continue
                if not target.is_relative_to(html_root) or not target.is_file():
                    broken.append(f"{name}: <{element.name} {attribute}={element[attribute]!r}>")
    return broken


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Site:
    repository = site_build.copy_repository(tmp_path_factory.mktemp("site") / "repository")
    photo_cache = tmp_path_factory.mktemp("photo-cache")

    build = site_build.build_book(repository, photo_cache)

    if build.returncode != 0:
        pytest.fail(f"smoke build of the copy failed (exit {build.returncode}):\n{build.tail()}")
    return Site(repository, repository / "_build" / "html", photo_cache, build)


def test_build_executed_the_notebook(site):
    assert "re-executing every notebook (first build)" in site.build.output
    assert (site.repository / "_build" / ".execution-fingerprint").is_file()


def test_notebook_page_shows_no_source_paths(site):
    """Warnings on the page must not show the build machine's files (Python's `path.py:123:` prefix)."""
    text = plain_text(site.page("book/assignment_notebook.html").select_one("article"))

    assert re.findall(r"\S+\.py:\d+:", text) == []


def test_assignment_shows_smoke_banner(site):
    page = site.page("book/assignment.html")
    admonitions = [
        admonition
        for admonition in page.select("div.admonition")
        if plain_text(admonition.select_one(".admonition-title")) == "Which run produced the numbers below"
    ]

    assert len(admonitions) == 1
    text = plain_text(admonitions[0])
    assert expected_smoke_banner() in text
    assert "SMOKE TEST" in text
    assert re.search(r"Device: (cpu \(\d+ threads\)|cuda \(.+?\)|mps)\.", text), text


def test_assignment_has_no_glue_errors(site):
    text = plain_text(site.page("book/assignment.html"))

    assert "No key" not in text
    assert "{glue}" not in text
    assert "assignment_notebook.ipynb::" not in text


def test_assignment_glues_numbers(site):
    text = plain_text(site.page("book/assignment.html"))

    assert re.search(
        rf"SGD's training loss went from {LOSS} to {LOSS} and it reached a validation accuracy of "
        rf"{PERCENT}; Adam's training loss went from {LOSS} to {LOSS}, with a validation accuracy of {PERCENT}\.",
        text,
    ), "Answer 3 does not show the glued losses and accuracies"
    test_photos = re.search(rf"reached a test accuracy of {PERCENT} on (\d+) test photos", text)
    assert test_photos is not None, "Answer 6 does not show the glued test accuracy"
    assert int(test_photos.group(1)) > 0


def test_no_glued_object_shows_its_repr(site):
    """A glued table or figure must render as itself, not as "<IPython...Markdown object>"."""
    reprs = []
    for name, page in site.pages().items():
        article = page.select_one("article") or page
        for match in re.finditer(r"<(?:IPython|matplotlib|Figure size)[^>]*>", article.get_text("")):
            reprs.append(f"{name}: {match.group()}")

    assert reprs == []


def test_answers_are_dropdowns(site):
    page = site.page("book/assignment.html")
    admonitions = answer_admonitions(page)
    sources = source_answers(site.repository)

    assert len(sources) >= 1
    assert len(admonitions) == len(sources)
    for title, options, _ in sources:
        assert re.search(r"^:class:.*\bdropdown\b", options, re.MULTILINE), f"{title!r} has no :class: dropdown"
    for admonition in admonitions:
        title = plain_text(admonition.select_one(".admonition-title"))
        assert "dropdown" in admonition["class"], f"{title!r} is not a dropdown"


def test_togglebutton_handles_dropdowns(site):
    page = site.page("book/assignment.html")
    inline_scripts = " ".join(script.get_text() for script in page.select("script:not([src])"))
    script_sources = [script["src"] for script in page.select("script[src]")]

    assert ".admonition.dropdown" in inline_scripts
    assert any("togglebutton.js" in source for source in script_sources)


def test_answers_readable_without_javascript(site):
    page = site.page("book/assignment.html")
    admonitions = {plain_text(element.select_one(".admonition-title")): element for element in answer_admonitions(page)}

    for title, _, body in source_answers(site.repository):
        element = admonitions[title]
        words = opening_words(body).replace("\u2019", "'")
        assert words in plain_text(element), f"{title!r}: {words!r} is not in the HTML"
        # Only togglebutton.js may hide the answers, so the served HTML must show them.
        assert "toggle-hidden" not in element["class"]
        for hidden in [element, *element.find_all(True)]:
            assert not hidden.has_attr("hidden"), f"{title!r} contains an element with the hidden attribute"
            assert "display:none" not in hidden.get("style", "").replace(" ", ""), f"{title!r} hides content inline"


def test_colab_links_point_to_tracked_notebooks(site):
    config = yaml.safe_load((site.repository / "_config.yml").read_text())
    owner, name = urlsplit(config["repository"]["url"]).path.strip("/").split("/")[:2]
    tracked = set(
        subprocess.run(["git", "ls-files"], cwd=site_build.ROOT, capture_output=True, text=True, check=True).stdout.split()
    )
    pattern = re.compile(rf"{re.escape(COLAB)}/github/{re.escape(owner)}/{re.escape(name)}/blob/main/(.+\.ipynb)")
    links = [
        (page_name, anchor["href"])
        for page_name, page in site.pages().items()
        for anchor in page.select("a[href]")
        if anchor["href"].startswith(COLAB)
    ]

    assert config["repository"]["branch"] == "main"
    assert ("book/assignment_notebook.html", f"{COLAB}/github/{owner}/{name}/blob/main/book/assignment_notebook.ipynb") in links
    for page_name, href in links:
        match = pattern.fullmatch(href)
        assert match is not None, f"{page_name}: Colab link {href!r} is not {pattern.pattern}"
        assert match.group(1) in tracked, f"{page_name}: Colab link to {match.group(1)}, which git does not track"


def test_glue_text_roles_name_a_format():
    """myst-nb splits `{glue:text}` content at its last colon, so `doc::key` needs a `:s` or similar."""
    role = re.compile(r"\{glue:text\}`([^`]*)`")
    for page in sorted((site_build.ROOT / "book").glob("*.md")):
        for content in role.findall(page.read_text()):
            key_and_format = content.split("::", 1)[-1]
            assert ":" in key_and_format, f"{page.name}: {{glue:text}}`{content}` needs a format, e.g. `{content}:s`"


def test_publish_build_pins_launch_buttons_and_download(site, tmp_path):
    """The publishing workflow's options: launch buttons open the pinned copy, the download is pinned."""
    launch, built = "0123456789abcdef0123456789abcdef01234567", "89abcdef0123456789abcdef0123456789abcdef"
    repository = tmp_path / "repository"
    shutil.copytree(site.repository, repository, symlinks=True)
    config_before = (repository / "_config.yml").read_text()

    build = site_build.build_book(repository, site.photo_cache, ("--launch-revision", launch, "--pin-revision", built))

    assert build.returncode == 0, build.tail()
    # Pinning must not cost a re-execution: the executed notebook is the stored one.
    assert "re-executing every notebook" not in build.output
    html = repository / "_build" / "html"
    page = parse(html / "book" / "assignment_notebook.html")
    colab_links = {anchor["href"] for anchor in page.select("a[href]") if anchor["href"].startswith(COLAB)}
    url = yaml.safe_load(config_before)["repository"]["url"]
    owner, name = urlsplit(url).path.strip("/").split("/")[:2]
    assert colab_links == {f"{COLAB}/github/{owner}/{name}/blob/{launch}/book/assignment_notebook.ipynb"}
    # The theme's download button and the assignment page's download link.
    downloads = [html / "_sources" / "book" / "assignment_notebook.ipynb"]
    for anchor in parse(html / "book" / "assignment.html").select("a.download[href]"):
        downloads.append((html / "book" / unquote(anchor["href"])).resolve())
    assert len(downloads) == 2
    for download in downloads:
        assert f'COURSE_REVISION = "{built}"' in setup_cell_source(download), download
    assert (repository / "_config.yml").read_text() == config_before

    # A later local build without the options must not keep the pin: Sphinx leaves an
    # unchanged page's download copies alone.
    plain = site_build.build_book(repository, site.photo_cache)

    assert plain.returncode == 0, plain.tail()
    page = BeautifulSoup((html / "book" / "assignment_notebook.html").read_text(encoding="utf-8"), "html.parser")
    colab_links = {anchor["href"] for anchor in page.select("a[href]") if anchor["href"].startswith(COLAB)}
    assert colab_links == {f"{COLAB}/github/{owner}/{name}/blob/main/book/assignment_notebook.ipynb"}
    for download in downloads:
        assert 'COURSE_REVISION = "main"' in setup_cell_source(download), download


def setup_cell_source(notebook_path: Path) -> str:
    cells = json.loads(notebook_path.read_text())["cells"]
    return "".join(next(cell for cell in cells if cell["cell_type"] == "code")["source"])


def test_internal_links_resolve(site):
    broken = broken_references(site, {"a[href]": "href", "img[src]": "src"})

    assert broken == []


def test_local_scripts_and_styles_exist(site):
    broken = broken_references(site, {"script[src]": "src", "link[href]": "href"})

    assert broken == []


def test_execution_report(site):
    page = site.page("book/execution_report.html")
    article = page.select_one("article")
    tables = [
        table
        for table in article.select("table")
        if [plain_text(head) for head in table.select("thead th")] == ["Document", "Modified", "Method", "Run Time (s)", "Status"]
    ]

    assert len(tables) == 1, "the nb-exec-table is missing"
    rows = {plain_text(row.select("td")[0]): plain_text(row.select("td")[4]) for row in tables[0].select("tbody tr")}
    assert rows.get("book/assignment_notebook") == "\u2705", rows
    items = {plain_text(item).split(":", 1)[0]: plain_text(item).split(":", 1)[1].strip() for item in article.select("li")}
    assert items["run profile and scale"] == expected_smoke_banner()
    assert re.fullmatch(r"cpu \(\d+ threads\)|cuda \(.+\)|mps", items["device"]), items["device"]
    assert "torch" in items["library versions"]


def test_rebuild_after_package_change(site, tmp_path):
    """Editing the package must re-execute the notebook, not restore cached outputs."""
    repository = tmp_path / "repository"
    shutil.copytree(site.repository, repository, symlinks=True)
    marker = f"stale-cache-check-{uuid.uuid4().hex[:12]}"
    module = repository / "src" / "garbage_classifier" / "notebook.py"
    module.write_text(
        module.read_text()
        + "\n\n_profile_banner_before_edit = profile_banner\n\n\n"
        + "def profile_banner(profile, **options):\n"
        + f"    return _profile_banner_before_edit(profile, **options) + ' {marker}'\n"
    )

    build = site_build.build_book(repository, site.photo_cache)

    assert build.returncode == 0, build.tail()
    assert "the package, data, requirements or profile changed" in build.output
    rebuilt = plain_text(parse(repository / "_build" / "html" / "book" / "assignment.html"))
    report = plain_text(parse(repository / "_build" / "html" / "book" / "execution_report.html"))
    assert marker in rebuilt
    assert marker in report


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the name is fixed by the base class
        pass


def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    return None


def run_chromium(chromium: str, profile: Path, *arguments: str) -> subprocess.CompletedProcess:
    # The flags keep the browser off the network: every host name but 127.0.0.1 fails to resolve.
    return subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
            f"--user-data-dir={profile}",
            "--window-size=1280,1600",
            "--virtual-time-budget=5000",
            *arguments,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )


# Opens every answer, then reports each figure or output box that reaches past its answer's
# right edge, or that is wider than its box without a scroll bar.
LAYOUT_CHECK = """
window.addEventListener("load", () => {
  document.querySelectorAll("div.dropdown.admonition button.toggle-button").forEach((button) => button.click());
  setTimeout(() => {
    const report = { checked: 0, clipped: [] };
    document.querySelectorAll("div.dropdown.admonition").forEach((answer) => {
      const edge = answer.getBoundingClientRect().right;
      const title = answer.querySelector(".admonition-title").textContent.trim();
      answer.querySelectorAll(":scope > img, :scope > div.output").forEach((element) => {
        report.checked += 1;
        const box = element.getBoundingClientRect();
        const scrolls = ["auto", "scroll"].includes(getComputedStyle(element).overflowX);
        const cut = element.scrollWidth > element.clientWidth + 1 && !scrolls;
        if (box.right > edge + 0.5 || cut) {
          report.clipped.push(`${element.tagName.toLowerCase()} in ${title}: right edge ${box.right.toFixed(1)} ` +
            `(answer ${edge.toFixed(1)}), content ${element.scrollWidth} px in ${element.clientWidth} px`);
        }
      });
    });
    const output = document.createElement("pre");
    output.id = "layout-report";
    output.textContent = JSON.stringify(report);
    document.body.appendChild(output);
  }, 1000);
});
"""


def serve(directory: Path):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(directory)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_opened_answers_fit_the_column(site, tmp_path):
    """Wide tables scroll and figures fit inside the opened answers (_static/answers.css)."""
    chromium = find_chromium()
    if chromium is None:
        pytest.skip("Chromium is not installed (Debian: apt-get install chromium); this check needs a headless browser")
    html = shutil.copytree(site.html, tmp_path / "html")
    page = (html / "book" / "assignment.html").read_text(encoding="utf-8")
    assert "answers.css" in page, "the site does not load _static/answers.css"
    (html / "book" / "layout-check.html").write_text(page.replace("</body>", f"<script>{LAYOUT_CHECK}</script></body>"))
    server = serve(html)
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/book/layout-check.html"
        dom = run_chromium(chromium, tmp_path / "profile", "--dump-dom", url)
    finally:
        server.shutdown()
        server.server_close()

    assert dom.returncode == 0, dom.stderr[-2000:]
    report_element = BeautifulSoup(dom.stdout, "html.parser").select_one("#layout-report")
    assert report_element is not None, "the layout check did not run"
    report = json.loads(report_element.get_text())
    assert report["checked"] > 0, "no figure or output box found in the answers"
    assert report["clipped"] == [], report["clipped"]


def test_answers_collapsed_in_browser(site, tmp_path):
    chromium = find_chromium()
    if chromium is None:
        pytest.skip("Chromium is not installed (Debian: apt-get install chromium); this check needs a headless browser")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(site.html)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/book/assignment.html"
    screenshot = tmp_path / "assignment.png"
    try:
        dom = run_chromium(chromium, tmp_path / "profile-dom", "--dump-dom", url)
        shot = run_chromium(chromium, tmp_path / "profile-screenshot", f"--screenshot={screenshot}", url)
    finally:
        server.shutdown()
        server.server_close()

    assert dom.returncode == 0, dom.stderr[-2000:]
    assert shot.returncode == 0, shot.stderr[-2000:]
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    page = BeautifulSoup(dom.stdout, "html.parser")
    answers = answer_admonitions(page)
    assert len(answers) == len(source_answers(site.repository))
    for admonition in answers:
        title = plain_text(admonition.select_one(".admonition-title"))
        button = admonition.select_one("button.toggle-button")
        assert "toggle-hidden" in admonition["class"], f"{title!r} is not collapsed after JavaScript ran"
        assert button is not None, f"{title!r} has no toggle button"
        assert button["aria-expanded"] == "false"
    banner = [element for element in page.select("div.admonition") if element not in answers]
    assert banner, "the page lost its non-answer admonition"
    for element in banner:
        assert "toggle-hidden" not in element.get("class", []), "a non-answer admonition is collapsed"
