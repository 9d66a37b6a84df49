"""The data package: validation, provenance rules, and the transcribed Garbutt values."""

import json
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


def test_claims_table_has_every_claim_of_the_sheet():
    sheet = (ROOT.parent / "shared" / "claims.md")
    claims = data.load_table("claims")
    expected = {"shrink-quarter-inch", "shrink-speed", "shrink-distance",
                "shrink-lbp-independent", "athletes-n", "athletes-less-lbp",
                "mri-runners-normal", "mri-two-dozen", "hip-tight-runners",
                "hip-lbp-underpowered", "population-70", "runners-20", "runners-lower-risk",
                "aerobic-improves-clbp", "aerobic-41-31-35", "deakin-79", "deakin-discs",
                "cadence", "shoes-mileage", "ten-percent", "recovery-2-6-weeks"}
    assert set(claims["claim_id"]) == expected
    if sheet.exists():  # the shared sheet sits beside the repository
        for cid in expected:
            assert f"| {cid} |" in sheet.read_text()


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
