"""Chart colours that every reader can tell apart: contrast with the background, and differences that
survive greyscale printing and colour-vision deficiencies.

- Each series colour reaches 3:1 against the background (WCAG 2.1, 1.4.11 Non-text Contrast).
- Each pair of series colours differs by at least a CIEDE2000 colour difference (Sharma, Wu &
  Dalal 2005) as seen normally, printed in greyscale (relative luminance), and under simulated
  protanopia, deuteranopia and tritanopia (Machado, Oliveira & Fernandes 2009, severity 1, applied
  in linear RGB).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

MIN_SERIES_CONTRAST = 3.0
"""WCAG 2.1 1.4.11: graphical objects against adjacent colours."""

# Machado, Oliveira & Fernandes (2009), "A Physiologically-based Model for Simulation of Color Vision
# Deficiency", IEEE TVCG 15(6), table of matrices at severity 1.0 (linear RGB).
MACHADO_2009 = {
    "protanopia": ((0.152286, 1.052583, -0.204868), (0.114503, 0.786281, 0.099216),
                   (-0.003882, -0.048116, 1.051998)),
    "deuteranopia": ((0.367322, 0.860646, -0.227968), (0.280085, 0.672501, 0.047413),
                     (-0.011820, 0.042940, 0.968881)),
    "tritanopia": ((1.255528, -0.076749, -0.178779), (-0.078411, 0.930809, 0.147602),
                   (0.004733, 0.691367, 0.303900)),
}
VISIONS = ("normal vision", "greyscale", *MACHADO_2009)

Linear = tuple[float, float, float]


def _linear(colour: str) -> Linear:
    channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return r, g, b


def luminance(colour: str) -> float:
    """Relative luminance of '#rrggbb' (WCAG 2.1)."""
    r, g, b = _linear(colour)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two colours, 1 to 21."""
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def seen(colour: str, vision: str) -> Linear:
    """The colour as a reader with `vision` sees it (linear RGB, clipped to the gamut)."""
    rgb = _linear(colour)
    if vision == "greyscale":
        y = luminance(colour)
        return y, y, y
    if vision in MACHADO_2009:
        rgb = tuple(min(1.0, max(0.0, sum(m * c for m, c in zip(row, rgb, strict=True))))
                    for row in MACHADO_2009[vision])  # type: ignore[assignment]
    return rgb


def lab(rgb: Linear) -> tuple[float, float, float]:
    """CIE L*a*b* (D65) of a linear sRGB colour."""
    r, g, b = rgb
    x = (0.4124564 * r + 0.3575761 * g + 0.1804375 * b) / 0.95047
    y = 0.2126729 * r + 0.7151522 * g + 0.0721750 * b
    z = (0.0193339 * r + 0.1191920 * g + 0.9503041 * b) / 1.08883

    def f(t: float) -> float:
        return t ** (1 / 3) if t > (6 / 29) ** 3 else t / (3 * (6 / 29) ** 2) + 4 / 29

    fx, fy, fz = f(x), f(y), f(z)
    return 116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)


def ciede2000(lab1: tuple[float, float, float], lab2: tuple[float, float, float]) -> float:
    """CIEDE2000 colour difference (Sharma, Wu & Dalal 2005, with kL = kC = kH = 1)."""
    l1, a1, b1 = lab1
    l2, a2, b2 = lab2
    c_bar = (math.hypot(a1, b1) + math.hypot(a2, b2)) / 2
    g = 0.5 * (1 - math.sqrt(c_bar ** 7 / (c_bar ** 7 + 25 ** 7)))
    a1p, a2p = (1 + g) * a1, (1 + g) * a2
    c1p, c2p = math.hypot(a1p, b1), math.hypot(a2p, b2)
    h1p = math.degrees(math.atan2(b1, a1p)) % 360 if c1p else 0.0
    h2p = math.degrees(math.atan2(b2, a2p)) % 360 if c2p else 0.0
    dlp, dcp = l2 - l1, c2p - c1p
    if c1p * c2p == 0:
        dhp = 0.0
    elif abs(h2p - h1p) <= 180:
        dhp = h2p - h1p
    else:
        dhp = h2p - h1p - 360 if h2p > h1p else h2p - h1p + 360
    dhp_big = 2 * math.sqrt(c1p * c2p) * math.sin(math.radians(dhp / 2))
    lp_bar, cp_bar = (l1 + l2) / 2, (c1p + c2p) / 2
    if c1p * c2p == 0:
        hp_bar = h1p + h2p
    elif abs(h1p - h2p) <= 180:
        hp_bar = (h1p + h2p) / 2
    else:
        hp_bar = (h1p + h2p + 360) / 2 if h1p + h2p < 360 else (h1p + h2p - 360) / 2
    t = (1 - 0.17 * math.cos(math.radians(hp_bar - 30)) + 0.24 * math.cos(math.radians(2 * hp_bar))
         + 0.32 * math.cos(math.radians(3 * hp_bar + 6)) - 0.20 * math.cos(math.radians(4 * hp_bar - 63)))
    d_theta = 30 * math.exp(-(((hp_bar - 275) / 25) ** 2))
    r_c = 2 * math.sqrt(cp_bar ** 7 / (cp_bar ** 7 + 25 ** 7))
    s_l = 1 + 0.015 * (lp_bar - 50) ** 2 / math.sqrt(20 + (lp_bar - 50) ** 2)
    s_c = 1 + 0.045 * cp_bar
    s_h = 1 + 0.015 * cp_bar * t
    r_t = -math.sin(math.radians(2 * d_theta)) * r_c
    return math.sqrt((dlp / s_l) ** 2 + (dcp / s_c) ** 2 + (dhp_big / s_h) ** 2
                     + r_t * (dcp / s_c) * (dhp_big / s_h))


def difference(a: str, b: str, vision: str = "normal vision") -> float:
    """CIEDE2000 difference of two colours as seen with `vision`."""
    return ciede2000(lab(seen(a, vision)), lab(seen(b, vision)))


@dataclass(frozen=True)
class PaletteProblem:
    """A series colour that fails: which, why, and how to fix it."""

    colour: str
    message: str


def palette_problems(series: list[str] | tuple[str, ...], background: str, min_difference: float,
                     min_contrast: float = MIN_SERIES_CONTRAST) -> list[PaletteProblem]:
    """Every way the `series` colours (in the order a chart uses them) fail on `background`."""
    problems = []
    for colour in series:
        ratio = contrast(colour, background)
        if ratio < min_contrast:
            problems.append(PaletteProblem(colour, f"series colour {colour} has a contrast of {ratio:.2f}:1 "
                                           f"against the background {background}, below the {min_contrast:g}:1 "
                                           "of WCAG 2.1 (1.4.11): use a darker shade"))
    for i, a in enumerate(series):
        for b in series[i + 1:]:
            for vision in VISIONS:
                delta = difference(a, b, vision)
                if delta < min_difference:
                    problems.append(PaletteProblem(b, f"series colours {a} and {b} differ by only ΔE00 "
                                                   f"{delta:.1f} in {vision} (at least {min_difference:g}): "
                                                   f"change {b} (lighter or darker than {a})"))
                    break
    return problems
