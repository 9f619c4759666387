"""A config's `set-file` paths are relative to the config file, as its `chart` and `values` are;
a command-line --set-file path stays relative to the working directory, as Helm's is."""

from __future__ import annotations

import json

import pytest

from .support import run_in_process

CONFIG = (
    "targets:\n"
    "  prod:\n"
    "    values: [envs/prod.yaml]\n"
    "    set-file: ['api.env.MOTD=secrets/motd.txt', 'api.env.CA_CERT=secrets/ca.crt']\n"
)


@pytest.fixture()
def repo(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / ".starter-lint.yaml").write_text(CONFIG)
    (tmp_path / "envs").mkdir()
    (tmp_path / "envs" / "prod.yaml").write_text("api:\n  env: {}\n")
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "motd.txt").write_text("from the repository's secrets")
    (tmp_path / "secrets" / "ca.crt").write_text("CERT")
    return tmp_path


def values(cwd, *args):
    code, out, err = run_in_process(["values", "--target", "prod", "--format", "json", *args], cwd)
    return code, (json.loads(out) if code == 0 else None), err


@pytest.mark.parametrize("folder", [".", "envs", "secrets"])
def test_a_targets_set_file_reads_the_same_file_from_any_folder(repo, folder):
    code, got, err = values(repo / folder)
    assert code == 0, err
    assert got["api"]["env"]["MOTD"] == "from the repository's secrets"
    assert got["api"]["env"]["CA_CERT"] == "CERT"


def test_check_from_a_subfolder_finds_the_targets_set_file(repo):
    code, out, err = run_in_process(["check", "--target", "prod", "--select", "SL101", "-q"], repo / "envs")
    assert code == 0, out + err


def test_a_missing_config_set_file_names_the_target_and_the_config(repo):
    (repo / "secrets" / "ca.crt").unlink()
    code, _got, err = values(repo / "envs")
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1, err
    assert "secrets/ca.crt" in lines[0] and "no such file" in lines[0]
    assert "target 'prod'" in lines[0] and ".starter-lint.yaml" in lines[0] and "Traceback" not in err


def test_a_command_line_set_file_stays_relative_to_the_working_directory(repo):
    (repo / "envs" / "banner.txt").write_text("from envs")
    code, got, err = values(repo / "envs", "--set-file", "api.banner=banner.txt")
    assert code == 0, err
    assert got["api"]["banner"] == "from envs"
    assert got["api"]["env"]["MOTD"] == "from the repository's secrets"


def test_one_path_text_naming_two_files_is_refused(repo):
    """From envs/, `--set-file x=secrets/motd.txt` is envs/secrets/motd.txt, the target's
    `secrets/motd.txt` the repository's: which one is meant is not guessed."""
    (repo / "envs" / "secrets").mkdir()
    (repo / "envs" / "secrets" / "motd.txt").write_text("from envs/secrets")
    code, _got, err = values(repo / "envs", "--set-file", "api.other=secrets/motd.txt")
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert "--set-file secrets/motd.txt" in err and "target 'prod'" in err
    # from the config's folder the two are one file: no doubt, both read it
    code, got, err = values(repo, "--set-file", "api.other=secrets/motd.txt")
    assert code == 0, err
    assert got["api"]["other"] == got["api"]["env"]["MOTD"] == "from the repository's secrets"


def test_a_config_set_file_outside_the_repository_is_refused_from_its_folder(repo):
    """`../x` is judged from the config's folder: a config in a subfolder may name a file in
    the repository above it, but not one above the repository."""
    (repo / "conf").mkdir()
    (repo / "conf" / ".starter-lint.yaml").write_text("set-file: ['api.motd=../secrets/motd.txt']\n")
    code, out, err = run_in_process(
        ["values", "-f", "envs/prod.yaml", "--config", "conf/.starter-lint.yaml", "--format", "json"], repo
    )
    assert code == 0, err
    assert json.loads(out)["api"]["motd"] == "from the repository's secrets"
    (repo / "conf" / ".starter-lint.yaml").write_text("set-file: ['api.motd=../../outside.txt']\n")
    code, _out, err = run_in_process(
        ["values", "-f", "envs/prod.yaml", "--config", "conf/.starter-lint.yaml"], repo
    )
    assert code == 2 and "outside the repository" in err, err


def test_a_command_line_set_family_replaces_the_configs_top_level_set_files(repo):
    """The command line's --set family replaces the config's top-level one: its --set-file path
    is the working directory's even where the config named the same text."""
    (repo / "conf").mkdir()
    (repo / "conf" / ".starter-lint.yaml").write_text("set-file: ['api.motd=motd.txt']\n")
    (repo / "conf" / "motd.txt").write_text("from conf")
    (repo / "motd.txt").write_text("from the working directory")
    code, out, err = run_in_process(
        [
            "values",
            "-f",
            "envs/prod.yaml",
            "--config",
            "conf/.starter-lint.yaml",
            "--set-file",
            "api.motd=motd.txt",
            "--format",
            "json",
        ],
        repo,
    )
    assert code == 0, err
    assert json.loads(out)["api"]["motd"] == "from the working directory"


@pytest.mark.parametrize("key", ["set-file: ['api.motd=mo\\0td.txt']", "values: ['v\\0.yaml']"])
def test_a_config_path_with_a_nul_is_one_config_error(repo, key):
    # os.path refuses a NUL with ValueError: the config's line says so instead (no internal error)
    (repo / ".starter-lint.yaml").write_text(key.replace("['", '["').replace("']", '"]') + "\n")
    code, _out, err = run_in_process(["values", "-f", "envs/prod.yaml"], repo)
    assert code == 2 and "NUL" in err and "internal error" not in err, err
