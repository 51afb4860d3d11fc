"""The image check of the loader: whole files pass, broken ones are named with what is wrong."""

import pytest
from projects import FIXTURES

from pipeline.content.images import image_problem

PNG = (FIXTURES / "chart.png").read_bytes()


@pytest.mark.parametrize(("name", "data", "problem"), [
    ("a.png", PNG, None),
    ("a.png", PNG[: len(PNG) // 2], "truncated"),
    ("a.png", b"\x00" * 500, "no PNG signature"),
    ("a.png", b"", "is empty"),
    ("a.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 300 + b"\xff\xd9", None),
    ("a.jpeg", b"\xff\xd8\xff\xe0" + b"\x00" * 300, "truncated"),
    ("a.gif", b"GIF89a" + b"\x00" * 50 + b";", None),
    ("a.gif", b"GIF89a" + b"\x01" * 50, "truncated"),
    ("a.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><rect/></svg>\n', None),
    ("a.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><rect', "truncated"),
    ("a.webp", b"RIFF" + (100).to_bytes(4, "little") + b"WEBP" + b"\x00" * 96, None),
    ("a.webp", b"RIFF" + (900).to_bytes(4, "little") + b"WEBP" + b"\x00" * 96, "truncated"),
    ("a.emf", b"anything", None),  # not an image format crebis publishes: the import handles it
])
def test_image_problem(tmp_path, name, data, problem):
    path = tmp_path / name
    path.write_bytes(data)
    found = image_problem(path)
    if problem is None:
        assert found is None
    else:
        assert found is not None and problem in found
