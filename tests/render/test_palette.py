"""Chart colours: WCAG 1.4.11 contrast, and CIEDE2000 differences in greyscale and simulated colour blindness."""

from __future__ import annotations

import pytest

from pipeline.config import Brand
from pipeline.render import palette

# Sharma, Wu & Dalal (2005), "The CIEDE2000 color-difference formula: implementation notes", table 1.
SHARMA = [
    ((50.0, 2.6772, -79.7751), (50.0, 0.0, -82.7485), 2.0425),
    ((50.0, 0.0, 0.0), (50.0, -1.0, 2.0), 2.3669),
    ((50.0, 2.5, 0.0), (50.0, 3.1736, 0.5854), 1.0),
    ((50.0, 2.5, 0.0), (73.0, 25.0, -18.0), 27.1492),
    ((60.2574, -34.0099, 36.2677), (60.4626, -34.1751, 39.4387), 1.2644),
    ((2.0776, 0.0795, -1.135), (0.9033, -0.0636, -0.5514), 0.9082),
]


@pytest.mark.parametrize(("lab1", "lab2", "expected"), SHARMA)
def test_ciede2000_matches_sharmas_test_data(lab1, lab2, expected):
    assert palette.ciede2000(lab1, lab2) == pytest.approx(expected, abs=1e-4)


def test_the_default_series_pass_every_check():
    brand = Brand()
    assert palette.palette_problems(brand.series, brand.background, 15.0) == []


def test_blue_and_red_of_the_same_lightness_merge_in_greyscale():
    # the sample's old chart: brand blue and red, 42 apart in colour, 5.6 apart once printed in grey
    problems = palette.palette_problems(["#1d4e89", "#b3261e"], "#ffffff", 15.0)
    assert len(problems) == 1 and problems[0].colour == "#b3261e" and "greyscale" in problems[0].message


def test_red_and_green_merge_for_deuteranopes():
    red, green = "#cc0000", "#2ca02c"  # far apart in normal vision and in grey
    assert palette.difference(red, green) > 40 and palette.difference(red, green, "greyscale") > 15
    problems = palette.palette_problems([red, green], "#ffffff", 15.0, min_contrast=1.0)
    assert len(problems) == 1 and problems[0].colour == green and "deuteranopia" in problems[0].message


def test_a_pale_series_colour_fails_contrast_and_is_named():
    problems = palette.palette_problems(["#1d4e89", "#9ecae1"], "#ffffff", 15.0)
    assert problems[0].colour == "#9ecae1" and "1.4.11" in problems[0].message and ":1" in problems[0].message


def test_simulation_keeps_grey_grey_and_removes_red_green_for_protanopes():
    for vision in palette.MACHADO_2009:
        r, g, b = palette.seen("#808080", vision)
        assert r == pytest.approx(g, abs=0.01) and g == pytest.approx(b, abs=0.01)
    r, g, _ = palette.seen("#ff0000", "protanopia")
    assert abs(r - g) < 0.1
