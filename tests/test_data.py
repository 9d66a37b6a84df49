"""The data package: validation, provenance rules, and the transcribed Garbutt values."""

import json
import os
import shutil
from pathlib import Path

import pytest

from runspine import data

ROOT = Path(__file__).resolve().parents[1]


def test_package_is_valid():
    assert [str(p) for p in data.validate_package()] == []


def test_every_resource_has_provenance_columns_and_a_schema():
    desc = json.loads((ROOT / "data" / "datapackage.json").read_text())
    for res in desc["resources"]:
        schema = json.loads((ROOT / "data" / res["schema"]).read_text())
        names = [f["name"] for f in schema["fields"]]
        assert {"source", "location", "provenance"} <= set(names), res["name"]
        prov = next(f for f in schema["fields"] if f["name"] == "provenance")
        assert set(prov["constraints"]["enum"]) == set(data.PROVENANCE_LEVELS), res["name"]


def test_garbutt_values_equal_the_abstract():
    # Garbutt et al. 1990 abstract: 70 %: 3.37 (2.38); 85 %: 5.10 (1.90); 100 %: 7.69 (3.69);
    # first 15 min 3.26 (2.78), second 15 min 2.12 (1.61)
    t = data.load_table("garbutt1990_shrinkage").set_index("condition")
    expected = {"pace_70": (3.37, 2.38), "pace_85": (5.10, 1.90), "pace_100": (7.69, 3.69),
                "first_15_min": (3.26, 2.78), "second_15_min": (2.12, 1.61)}
    for cond, (mean, sd) in expected.items():
        assert (t.loc[cond, "mean_mm"], t.loc[cond, "sd_mm"]) == (mean, sd)
        assert t.loc[cond, "provenance"] == "reported"
    assert data.fact("shrinkage_facts", "garbutt1990", "p_pace") == 0.005
    assert data.fact("shrinkage_facts", "garbutt1990", "n_per_group") == 7


# Each claim's article key(s) and line(s) in the shared claims sheet (shared/claims.md,
# "Claims", column "article (line)"), pinned here for clones without the sheet beside them;
# where the sheet is there, the test below also reads it and requires the same values.
SHEET_ARTICLES = {
    "shrink-quarter-inch": ("A2c", "114"), "shrink-speed": ("A2c", "112"),
    "shrink-distance": ("A2c", "112"), "shrink-lbp-independent": ("A2c", "116"),
    "athletes-n": ("A2c", "120"), "athletes-less-lbp": ("A2c", "122"),
    "mri-runners-normal": ("A2c", "124"), "mri-two-dozen": ("A2c", "122"),
    "hip-tight-runners": ("A2c", "132"), "hip-lbp-underpowered": ("A2c", "138"),
    "population-70": ("A2c", "100"), "runners-20": ("A1", "1"),
    "runners-lower-risk": ("A2c", "162"), "aerobic-improves-clbp": ("A2i", "413"),
    "aerobic-41-31-35": ("A2i", "460"), "deakin-79": ("A2j", "478"),
    "deakin-discs": ("A2j", "488"), "cadence": ("A0; A2b", "16; 89"),
    "shoes-mileage": ("A0; A3; A2d", "38; 14; 216"), "ten-percent": ("A0; A2d", "15; 245"),
    "recovery-2-6-weeks": ("A2e", "288"),
}
# the shared sheet sits beside the repository (../shared); RUNSPINE_SHARED names it elsewhere
SHEET = Path(os.environ.get("RUNSPINE_SHARED", ROOT.parent / "shared")) / "claims.md"


def _sheet_claims() -> dict[str, tuple[str, str, str]]:
    """claim id -> (article keys, first lines, the article's words) read from the sheet."""
    import re

    out = {}
    for line in SHEET.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 5 and re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", cells[0]) and cells[0] != "id":
            pairs = re.findall(r"(A\d[a-z]?) \((\d+)", cells[1])
            out[cells[0]] = ("; ".join(k for k, _ in pairs), "; ".join(n for _, n in pairs),
                             cells[2])
    return out


def test_claims_table_has_every_claim_of_the_sheet():
    claims = data.load_table("claims")
    assert set(claims["claim_id"]) == set(SHEET_ARTICLES)
    if SHEET.exists():  # the shared sheet sits beside the repository
        assert set(_sheet_claims()) == set(SHEET_ARTICLES)


def test_every_claim_names_its_article_and_line_as_the_sheet_does():
    claims = data.load_table("claims").set_index("claim_id")
    got = {cid: (row["article"], str(row["line"])) for cid, row in claims.iterrows()}
    assert got == SHEET_ARTICLES
    if not SHEET.exists():
        pytest.skip("shared/claims.md is not beside the repository; pinned values checked")
    sheet = _sheet_claims()
    assert {cid: v[:2] for cid, v in sheet.items()} == SHEET_ARTICLES
    for cid, row in claims.iterrows():  # the words are the sheet's, passage by passage
        for words in str(row["words"]).split(" | "):
            assert f'"{words}"' in sheet[cid][2], cid


def test_every_article_key_is_in_the_articles_table_with_the_sheets_file_and_lines():
    articles = data.load_table("articles").set_index("key")
    assert list(articles.index) == ["A0", "A1", *(f"A2{c}" for c in "abcdefghij"), "A3"]
    assert (articles.loc["A2c", "file"], articles.loc["A2c", "lines"]) == (
        "002_c8cb8450e600b89e.txt", "98-163")
    assert articles.loc["A2c", "label"].startswith("\"Is Running Putting Your Lower Back")
    claims = data.load_table("claims")
    used = {k for keys in claims["article"] for k in keys.split("; ")}
    assert used <= set(articles.index)
    for _, row in claims.iterrows():  # one line and one passage per article
        n = len(row["article"].split("; "))
        assert len(str(row["line"]).split("; ")) == n, row["claim_id"]
        assert len(str(row["words"]).split(" | ")) == n, row["claim_id"]
    if SHEET.exists():
        text = SHEET.read_text(encoding="utf-8")
        for key, row in articles.iterrows():
            short = "002" if row["file"].startswith("002") and key != "A2a" else row["file"]
            assert f"| {key} | {short}, {row['lines']} | {row['label']} |" in text, key
    for _, row in claims.iterrows():  # a claim's line lies inside its article
        for key, line in zip(row["article"].split("; "), str(row["line"]).split("; ")):
            lines = articles.loc[key, "lines"]
            if lines != "all":
                lo, hi = map(int, lines.split("-"))
                assert lo <= int(line) <= hi, (row["claim_id"], key, line)


@pytest.fixture
def data_copy(tmp_path):
    target = tmp_path / "data"
    shutil.copytree(ROOT / "data", target)
    return target


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


@pytest.mark.parametrize("old,new,expect", [
    ("7.69,3.69", "7.69,-3.69", "garbutt1990_shrinkage.csv row 4 field 'sd_mm'"),
    ("7.69,3.69", "7.69,abc", "garbutt1990_shrinkage.csv row 4 field 'sd_mm'"),
    ("abstract,reported,\"Shrinkage over the 30-min run at 100", "abstract,guessed,\"Shrinkage over the 30-min run at 100",
     "garbutt1990_shrinkage.csv row 4 field 'provenance'"),
    ("garbutt1990,pace_100,100,30-min run,7.69,3.69,garbutt1990",
     "garbutt1990,pace_100,100,30-min run,7.69,3.69,nosuchkey", "row 4 field 'source'"),
])
def test_invalid_values_are_named_by_file_row_and_field(data_copy, old, new, expect):
    _edit(data_copy / "garbutt1990_shrinkage.csv", old, new)
    problems = [str(p) for p in data.validate_package(data_copy / "datapackage.json")]
    assert any(expect in p for p in problems), problems


def test_derived_row_without_note_is_rejected(data_copy):
    _edit(data_copy / "shrinkage_facts.csv", "n_total = n_groups x n_per_group = 2 x 7", "")
    problems = [str(p) for p in data.validate_package(data_copy / "datapackage.json")]
    assert any("shrinkage_facts.csv row 4 field 'note'" in p for p in problems), problems


def test_missing_file_and_broken_descriptor(data_copy):
    (data_copy / "claims.csv").unlink()
    problems = [str(p) for p in data.validate_package(data_copy / "datapackage.json")]
    assert any("claims.csv: data file not found" in p for p in problems)
    (data_copy / "datapackage.json").write_text("{not json")
    with pytest.raises(data.DataError, match="not valid JSON"):
        data.check_package(data_copy / "datapackage.json")


def test_malformed_csv_row_is_reported(data_copy):
    with open(data_copy / "garbutt1990_shrinkage.csv", "a") as fh:
        fh.write("garbutt1990,pace_70\n")
    problems = [str(p) for p in data.validate_package(data_copy / "datapackage.json")]
    assert any("garbutt1990_shrinkage.csv row 7" in p for p in problems), problems


def test_units_are_written_as_readers_read_them():
    """A unit column says "cm²", "mm²", "cm³", as the reports print it, never "cm2" (the
    notes quote the source as printed; only the unit column is checked)."""
    import csv
    import re

    checked = 0
    for path in sorted((ROOT / "data").glob("*.csv")):
        with open(path, newline="", encoding="utf-8") as fh:
            for i, row in enumerate(csv.DictReader(fh), start=2):
                unit = row.get("unit")
                if unit is None:
                    break
                checked += 1
                assert not re.search(r"[a-z][23](?![\d])", unit), f"{path.name} row {i}: {unit}"
    assert checked > 100
