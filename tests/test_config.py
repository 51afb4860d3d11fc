import tomllib
from pathlib import Path

import pytest

from pipeline.config import Config, ConfigError, describe, dump_config, load_config, parse_config


def test_defaults_are_valid_and_documented():
    config = parse_config({})
    assert config.languages == ["fr", "nl", "en"]
    assert config.brief.max_pages == 4
    for key, doc, _default in describe():
        assert doc and doc.endswith("."), f"{key} needs a one-line doc"


def known(cls=Config) -> str:
    import dataclasses

    return ", ".join(sorted(f.name for f in dataclasses.fields(cls)))


def test_every_problem_is_reported_at_once_with_file_and_key():
    data = {"languages": ["fr", "de"], "brand": {"primary": "blue", "shade": 1}, "colour": "x",
            "build": {"jobs": "two"}, "watch": {"cluster_threshold": 1.5}, "page": "yes"}
    with pytest.raises(ConfigError) as info:
        parse_config(data, "site/crebis.toml")
    error = info.value
    assert error.problems == [
        f"unknown key 'colour' (known keys here: {known()})",
        "'languages': unsupported language(s) ['de']; choose among ['fr', 'nl', 'en']",
        "unknown key 'brand.shade' (known keys here: accent, background, font_body, font_heading, "
        "muted_background, primary, series, text)",
        "'brand.primary': expected a colour like '#1d4e89', got 'blue'",
        "'build.jobs': expected a whole number, got 'two'",
        "'page' must be a table ([page])",
        "'watch.cluster_threshold': expected a number above 0 and at most 1, got 1.5",
    ]
    assert str(error).startswith("site/crebis.toml: 7 problem(s) in the configuration:")


def test_font_stacks_cannot_break_out_of_a_style_sheet():
    with pytest.raises(ConfigError, match="a font stack like 'Arial, sans-serif', without ; <"):
        parse_config({"brand": {"font_body": "Arial;</style><script>"}})


def test_ints_are_accepted_where_numbers_are_expected_but_bools_are_not():
    assert parse_config({"watch": {"read_timeout": 5}}).watch.read_timeout == 5.0
    with pytest.raises(ConfigError, match="expected a whole number, got True"):
        parse_config({"brief": {"max_pages": True}})


def test_missing_and_broken_files(tmp_path: Path):
    with pytest.raises(ConfigError, match=r"no crebis.toml here"):
        load_config(tmp_path)
    (tmp_path / "crebis.toml").write_text("languages = [fr]\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(tmp_path)
    (tmp_path / "crebis.toml").write_text('[organisation]\nlogo = "missing.svg"\n')
    with pytest.raises(ConfigError, match=r"'organisation.logo': file missing.svg not found"):
        load_config(tmp_path)


def test_dump_round_trips_through_toml():
    import tomllib

    text = dump_config(Config())
    assert "# Page budget of a policy brief" in text
    assert parse_config(tomllib.loads(text)) == Config()


def test_organisation_name_by_language_round_trips_through_crebis_config():
    config = parse_config({"organisation": {"name": {"fr": "Centre", "nl": "Centrum"}}})
    assert (config.organisation.name_in("fr"), config.organisation.name_in("nl"),
            config.organisation.name_in("en")) == ("Centre", "Centrum", "Centre")
    again = parse_config(tomllib.loads(dump_config(config)))
    assert again.organisation.name == {"fr": "Centre", "nl": "Centrum"}
    with pytest.raises(ConfigError, match=r"'organisation.name': a table of names by language .*got de"):
        parse_config({"organisation": {"name": {"de": "Zentrum"}}})


def test_shared_folders_must_be_existing_folders_outside_the_project(tmp_path: Path):
    root = tmp_path / "project"
    (root / "content").mkdir(parents=True)
    (tmp_path / "shared-figures").mkdir()
    (root / "content" / "logo.svg").write_text("<svg/>", encoding="utf-8")
    logo = {"organisation": {"logo": "content/logo.svg"}}
    config = parse_config({**logo, "build": {"shared_folders": ["../shared-figures"]}}, root=root)
    assert config.build.shared_folders == ["../shared-figures"]
    with pytest.raises(ConfigError) as info:
        parse_config({**logo, "build": {"shared_folders": ["../missing", "content", "..", " "]}}, root=root)
    assert info.value.problems == [
        "'build.shared_folders': expected folder paths such as '../shared-figures', got an empty one"]
    with pytest.raises(ConfigError) as info:
        parse_config({**logo, "build": {"shared_folders": ["../missing", "content", ".."]}}, root=root)
    assert [p.split(":")[1].strip().split(" ")[0] for p in info.value.problems] == ["'../missing'", "'content'", "'..'"]
    assert "is not a folder" in info.value.problems[0] and "inside the project already" in info.value.problems[1]
    assert "holds the whole project" in info.value.problems[2]
    with pytest.raises(ConfigError) as info:
        parse_config({"build": {"shared_folders": "../shared-figures"}})
    assert info.value.problems == ["'build.shared_folders': expected a list of text, got '../shared-figures'"]


def test_a_replaced_key_names_its_replacement():
    with pytest.raises(ConfigError) as info:
        parse_config({"site": {"subscribe_url": "https://crebis.example.org/subscriptions/"}}, "centre/crebis.toml")
    assert str(info.value).startswith("centre/crebis.toml: 1 problem(s)")
    (problem,) = info.value.problems
    assert problem.startswith("'site.subscribe_url': it was replaced by mail.service_url")
    assert 'service_url = "https://crebis.example.org/subscriptions/" under [mail]' in problem


def _with_logo(root: Path) -> Path:
    (root / "layouts" / "assets").mkdir(parents=True)
    (root / "layouts" / "assets" / "logo.svg").write_text("<svg/>", encoding="utf-8")
    return root


def test_problems_in_the_file_name_its_line_and_the_likely_key(tmp_path: Path):
    _with_logo(tmp_path)
    (tmp_path / "crebis.toml").write_text(
        'langauges = ["fr"]\n'                        # 1: a typo of a top-level key
        "\n"
        "[organisation]\n"
        'name = """\n'                                # 4: a multi-line string whose lines look like TOML
        "[brief]\n"
        "max_page = 4\n"
        '"""\n'
        "\n"
        "[brief]\n"
        "max_page = 4\n"                              # 10: a typo in a table
        "\n"
        "[build]\n"
        'jobs = "two"\n'                              # 13: a value of the wrong type
        "\n"
        "[brnad.pdf]\n"                               # 15: a typo of a table, named by a header of its subtable
        "x = 1\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path)
    toml = tmp_path / "crebis.toml"
    assert info.value.problems == [
        f"{toml}:1: unknown key 'langauges': did you mean 'languages'?",
        f"{toml}:15: unknown key 'brnad': did you mean 'brand'?",
        f"{toml}:13: 'build.jobs': expected a whole number, got 'two'",
        f"{toml}:10: unknown key 'brief.max_page': did you mean 'max_pages'?",
    ]


def test_dotted_keys_and_inline_tables_are_found_at_their_line(tmp_path: Path):
    _with_logo(tmp_path)
    (tmp_path / "crebis.toml").write_text(
        "# the brief\n"
        "brief.max_page = 4\n"                        # 2: a dotted key at the top
        'build = { jobs = "two", colour = 1 }\n'      # 3: keys in an inline table
        '"watch" . "read_timeout" = "soon"\n'         # 4: quoted names, spaces around the dot
        "[site]\n"
        "zzz = 1\n", encoding="utf-8")                # 6: nothing close: the keys of the table
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path)
    lines = sorted(p.split(":")[1] for p in info.value.problems)
    assert lines == ["2", "3", "3", "4", "6"], info.value.problems
    assert any(p.endswith(":6: unknown key 'site.zzz' (known keys here: " + known(type(Config().site)) + ")")
               for p in info.value.problems)


def test_a_config_read_from_data_has_no_lines():
    with pytest.raises(ConfigError) as info:
        parse_config({"brief": {"max_page": 4}})
    assert info.value.problems == ["unknown key 'brief.max_page': did you mean 'max_pages'?"]
