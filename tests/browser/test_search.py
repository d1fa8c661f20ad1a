"""The book's own search works offline and covers every chapter.

Sphinx's search page runs in the browser on ``searchindex.js``, which the build writes next to the
pages, so it works from disk without network. For each page of ``_toc.yml`` the test picks, from
the page's own prose, its most frequent word of six letters or more that no other page uses,
searches for it on ``search.html``, and expects the page among the results. A chapter left out
of the index (or one the search cannot open) fails, whatever its words.
"""

import json
import re
from collections import Counter
from pathlib import Path

import pytest
from built_book import HTML, PageVisit, toc_pages

pytestmark = pytest.mark.browser

#: The prose of a page: paragraphs and list items of the article, without code, maths or
#: notebook cells (Sphinx's index holds their words too, but prose is what a reader remembers).
PROSE = """() => Array.from(document.querySelectorAll("article p, article li"))
  .filter(e => !e.closest("div.cell, pre, .highlight"))
  .map(e => {
    const copy = e.cloneNode(true);
    copy.querySelectorAll("mjx-container, code, .math").forEach(m => m.remove());
    return copy.textContent;
  }).join(" ")"""
FINISHED = """() => {
  const summary = document.querySelector("#search-results .search-summary");
  return summary && /finished|did not match/.test(summary.innerText);
}"""


def distinctive_words(prose: dict[str, str]) -> dict[str, str]:
    """page -> its most frequent word (6+ letters, lower case) that no other page's prose has.

    Raises:
        AssertionError: a page has no word of its own.
    """
    counts = {page: Counter(re.findall(r"[a-z]{6,}", text.lower())) for page, text in prose.items()}
    chosen = {}
    for page, words in counts.items():
        own = [w for w in words if not any(w in counts[o] for o in counts if o != page)]
        assert own, f"{page}: no word of its own to search for"
        chosen[page] = min(own, key=lambda w: (-words[w], w))
    return chosen


def search(browser, word: str) -> list[str]:
    """The pages (paths without suffix) that the book's search page lists for ``word``."""
    visit = PageVisit(browser, f"{(HTML / 'search.html').as_uri()}?q={word}")
    try:
        visit.page.wait_for_function(FINISHED, timeout=30_000)
        links = visit.page.eval_on_selector_all(
            "#search-results ul.search li a", "els => els.map(e => e.href)"
        )
    finally:
        visit.close()
    pages = [Path(link.split("#")[0].removeprefix("file://")) for link in links]
    return sorted({p.relative_to(HTML).with_suffix("").as_posix() for p in pages})


def test_the_index_lists_every_chapter():
    text = (HTML / "searchindex.js").read_text(encoding="utf-8")
    index = json.loads(text[text.index("(") + 1 : text.rindex(")")])
    missing = sorted(set(toc_pages()) - set(index["docnames"]))
    assert not missing, f"searchindex.js leaves out {missing}"


def test_search_finds_a_word_of_each_chapter(browser, visits):
    words = distinctive_words({page: visits[page].page.evaluate(PROSE) for page in toc_pages()})
    missed = {}
    for page, word in words.items():
        found = search(browser, word)
        if page not in found:
            missed[page] = f"searched {word!r}, found {found}"
    assert not missed, f"the offline search misses chapters: {missed}"


def test_distinctive_words_are_a_pages_own():
    prose = {"a": "recurrent recurrent memory", "b": "memory gradient", "c": "memory gradient x"}
    assert distinctive_words({k: prose[k] for k in "ab"}) == {"a": "recurrent", "b": "gradient"}
    with pytest.raises(AssertionError, match="b: no word of its own"):
        distinctive_words(prose)
