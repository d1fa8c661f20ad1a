import datetime as dt
import re

import numpy as np
import pytest

from course_rnn.data import DATASETS, dates
from course_rnn.data.dates import (
    DATE_FORMATS,
    EOS,
    FIRST_DAY,
    IGNORE_INDEX,
    LAST_DAY,
    SOURCE_CHARS,
    SOURCE_VOCAB,
    date_char_baseline,
    decode_target,
    encode_pairs,
    encode_source,
    encode_target,
    make_dates,
    make_digit_copy,
)

ALL_DAYS = [FIRST_DAY + dt.timedelta(days=k) for k in range((LAST_DAY - FIRST_DAY).days + 1)]
STRPTIME = {  # formats Python can parse back (suffixes like "3rd" removed first)
    "long": "%B %d, %Y", "long_lower": "%B %d, %Y", "day_month": "%d %B %Y",
    "ordinal_of": "%d of %B %Y", "weekday_long": "%A, %B %d, %Y", "us_slash": "%m/%d/%Y",
    "eu_dots": "%d.%m.%Y", "abbrev_lower": "%d %b %Y", "iso_slash": "%Y/%m/%d",
}  # fmt: skip


def _strip_suffix(text: str) -> str:
    return re.sub(r"(\d)(st|nd|rd|th)\b", r"\1", text)


def _two_digit_year(yy: str) -> int:
    return 1900 + int(yy) if int(yy) >= 50 else 2000 + int(yy)


def test_every_format_is_unambiguous_over_the_whole_range():
    lengths = set()
    for name, fmt in DATE_FORMATS.items():
        written = {fmt(d) for d in ALL_DAYS}
        lengths |= {len(w) for w in written}
        assert len(written) == len(ALL_DAYS), name  # one string per date: it can be undone
        assert set("".join(written)) <= set(SOURCE_CHARS), name
    assert (min(lengths), max(lengths)) == (8, 54)  # as DATASETS["dates"] says
    assert "8-54 characters" in DATASETS["dates"].size
    assert f"V_src = {SOURCE_VOCAB} with padding" in DATASETS["dates"].size


def test_sources_parse_back_to_their_target_with_the_right_weekday():
    pairs = make_dates(3000, rng=np.random.default_rng(0))
    seen = set()
    for source, target, f in zip(*pairs, strict=True):
        name = dates.FORMAT_NAMES[f]
        seen.add(name)
        day = dt.date.fromisoformat(target)
        if name in STRPTIME:
            assert dt.datetime.strptime(_strip_suffix(source), STRPTIME[name]).date() == day
        elif name == "weekday_us":  # "Wed 03/03/99": weekday name and mm/dd/yy
            weekday, rest = source.split()
            m, d, yy = rest.split("/")
            assert dt.date(_two_digit_year(yy), int(m), int(d)) == day
            assert weekday == day.strftime("%a")
        elif name == "abbrev":  # "Mar 3 '99"
            mon, d, yy = source.split()
            assert dt.datetime.strptime(f"{mon} {d}", "%b %d").month == day.month
            assert (int(d), _two_digit_year(yy[1:])) == (day.day, day.year)
        else:  # "words": checked against a few known strings below
            assert name == "words"
            assert source.startswith("the ")
        if name == "weekday_long":
            assert source.split(",")[0] == day.strftime("%A")
    assert seen == set(DATE_FORMATS)


def test_known_strings():
    d = dt.date(1999, 3, 3)
    assert DATE_FORMATS["ordinal_of"](d) == "3rd of March 1999"
    assert DATE_FORMATS["weekday_us"](d) == "Wed 03/03/99"
    assert DATE_FORMATS["weekday_long"](d) == "Wednesday, March 3rd, 1999"
    assert DATE_FORMATS["words"](d) == "the third of march nineteen ninety-nine"
    assert DATE_FORMATS["words"](dt.date(2005, 11, 22)) == (
        "the twenty-second of november two thousand five"
    )
    assert DATE_FORMATS["words"](dt.date(2031, 1, 12)) == "the twelfth of january twenty thirty-one"
    assert DATE_FORMATS["ordinal_of"](dt.date(2012, 5, 11)) == "11th of May 2012"
    assert DATE_FORMATS["abbrev"](dt.date(2049, 12, 31)) == "Dec 31 '49"


def test_make_dates_is_seeded_and_uniform_over_formats():
    a = make_dates(600, rng=np.random.default_rng(5))
    b = make_dates(600, rng=np.random.default_rng(5))
    assert a == b
    counts = np.bincount(a.formats, minlength=len(DATE_FORMATS))
    assert counts.min() > 25  # 50 expected per format
    assert all(FIRST_DAY.isoformat() <= t <= LAST_DAY.isoformat() for t in a.targets)
    only = make_dates(20, rng=np.random.default_rng(1), formats=["eu_dots"])
    assert all(re.fullmatch(r"\d\d\.\d\d\.\d{4}", s) for s in only.sources)


def test_digit_copy_lengths_and_targets():
    src, tgt = make_digit_copy(500, min_len=5, max_len=40, rng=np.random.default_rng(0))
    assert src == tgt
    lengths = [len(s) for s in src]
    assert min(lengths) == 5
    assert max(lengths) == 40
    assert all(s.isdigit() for s in src)


def test_encode_pairs_pads_sources_and_closes_targets_with_eos():
    batch = encode_pairs(["March 3, 1999", "3/3/1999"], ["1999-03-03", "1999-03-03"])
    assert batch.src.shape == (13, 2)
    assert batch.src_lengths.tolist() == [13, 8]
    assert (batch.src[8:, 1] == dates.PAD).all()
    assert batch.tgt.shape == (11, 2)
    assert (batch.tgt[10] == EOS).all()
    assert decode_target(batch.tgt[:, 0]) == "1999-03-03"
    padded = encode_pairs(["1"], ["12"]).tgt[:, 0].tolist()
    assert padded == encode_target("12") == [2, 3, EOS]
    assert encode_pairs(["12", "1"], ["12", "1"]).tgt[2, 1] == IGNORE_INDEX


def test_baseline_is_the_mode_per_position():
    base = date_char_baseline(4000, rng=np.random.default_rng(0))
    assert 0.40 < base < 0.52  # "-" twice (1.0), "1"/"2" of the century ...


def test_errors_name_the_argument():
    with pytest.raises(ValueError, match="make_dates: n must be an int >= 1"):
        make_dates(0, rng=np.random.default_rng(0))
    with pytest.raises(TypeError, match=r"make_dates: rng must be a np\.random\.Generator"):
        make_dates(3, rng=0)
    with pytest.raises(ValueError, match=r"make_dates: unknown formats \['roman'\]"):
        make_dates(3, rng=np.random.default_rng(0), formats=["roman"])
    with pytest.raises(ValueError, match="make_digit_copy: max_len must be an int >= 5"):
        make_digit_copy(3, min_len=5, max_len=4, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"encode_source: characters \['Q'\]"):
        encode_source("Q1")
    with pytest.raises(ValueError, match=r"encode_target: characters \['x'\]"):
        encode_target("x1")
    with pytest.raises(ValueError, match="encode_pairs: expected as many sources as targets"):
        encode_pairs(["1"], [])
