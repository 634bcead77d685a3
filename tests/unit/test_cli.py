"""One CLI framework end to end: every ``waypoint`` command is a typer command with its options declared once.

The commands declared next to their code (training, evaluation, registry, bench, server; mounted lazily by
``app.clikit.lazy_typer``) must show typer's help listing their real options, refuse an unknown option
with exit code 2 and typer's message, and run the same from ``python -m module`` (``main(argv)``). The
training configs are trl's dataclasses parsed by trl's parser: a YAML file, its ``tiny:`` block, typed
overrides and ``--set FIELD=VALUE`` give the trl config with the overridden value.
"""

from __future__ import annotations

import pytest
import typer
from typer.testing import CliRunner

from app.cli import app
from app.clikit import MultiValueCommand, command_line, command_typer, run


def _walk(command, path: tuple[str, ...] = ()):
    """Every command and group under ``command``: (path, click command)."""
    yield path, command
    if hasattr(command, "list_commands"):
        ctx = typer.Context(command, info_name="waypoint")
        for name in command.list_commands(ctx):
            yield from _walk(command.get_command(ctx, name), (*path, name))


COMMANDS = [path for path, _ in _walk(typer.main.get_command(app))]


def _invoke(*args: str):
    return CliRunner().invoke(app, list(args), prog_name="waypoint")


def test_every_command_is_registered():
    names = {" ".join(p) for p in COMMANDS}
    for expected in (
        "ingest",
        "serve",
        "simulate",
        "loop",
        "bench",
        "adapters promote",
        "adapters challengers",
        "train sft",
        "train dpo",
        "train kto",
        "train golden",
        "train preferences",
        "train reranker",
        "train setfit",
        "eval recommend",
        "eval occupation-cv",
        "eval jobs",
        "eval jobs-cold-start",
        "eval explain",
        "eval ope",
        "eval profiles",
        "eval provenance",
        "eval courses",
        "eval setfit",
        "eval chat-routing",
        "eval skills",
    ):
        assert expected in names, expected


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(p) or "waypoint")
def test_help_is_typers_and_lists_the_real_options(path):
    command = dict(_walk(typer.main.get_command(app)))[path]
    result = _invoke(*path, "--help")
    assert result.exit_code == 0, result.output
    assert f"Usage: waypoint {' '.join(path)}".rstrip() in result.output
    options = [p.opts[0] for p in command.params if getattr(p, "param_type_name", "") == "option"]
    for option in options:
        assert option in result.output, (option, result.output)
    if hasattr(command, "list_commands"):
        for name in command.list_commands(typer.Context(command, info_name="waypoint")):
            assert name in result.output


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(p) or "waypoint")
def test_an_unknown_option_exits_2_with_typers_message(path):
    result = _invoke(*path, "--no-such-option")
    assert result.exit_code == 2, result.output
    assert "No such option: --no-such-option" in result.output


@pytest.mark.parametrize(
    "command, option",
    [
        (["train", "dpo"], "--source"),
        (["train", "dpo"], "--set"),
        (["train", "sft"], "--save-dtype"),
        (["train", "preferences"], "--samples"),
        (["eval", "ope"], "--baseline"),
        (["eval", "explain"], "--http"),
        (["eval", "occupation-cv"], "--folds"),
        (["simulate"], "--skip-people"),
        (["bench"], "--quick"),
        (["serve"], "--no-ui"),
        (["adapters", "promote"], "--tol-fmr"),
    ],
)
def test_help_lists_the_options_scripts_use(command, option):
    result = _invoke(*command, "--help")
    assert result.exit_code == 0 and option in result.output, result.output


def test_bad_values_exit_2_before_any_work():
    # a choice, a range and a training-config override, each refused by the parser before data is read
    for args, message in (
        (["train", "dpo", "--source", "telepathy"], "telepathy"),
        (["train", "kto", "--batch-size", "0"], "--batch-size"),
        (["train", "sft", "--set", "learning_rate=fast"], "learning_rate"),
        (["train", "dpo", "--set", "no_such_field=1"], "no_such_field"),
        (["eval", "profiles", "--parts", "personas", "horoscopes"], "horoscopes"),
    ):
        result = _invoke(*args)
        assert result.exit_code == 2, (args, result.output)
        assert message in result.output, (args, result.output)


def test_main_argv_runs_the_same_command_and_returns_its_value(capsys):
    cli = command_typer()

    @cli.command("demo", cls=MultiValueCommand)
    def demo(
        ctx: typer.Context,
        folds: list[int] | None = None,
        tiny: bool = typer.Option(False, "--tiny"),
        name: str = "x",
    ) -> dict:
        return {"folds": folds, "tiny": tiny, "name": name, "command": command_line(ctx)}

    out = run(cli, ["--folds", "5", "10", "20", "--tiny", "--name", "y"], "waypoint demo")
    assert out["folds"] == [5, 10, 20] and out["tiny"] and out["name"] == "y"
    assert out["command"] == "waypoint demo --folds 5 --folds 10 --folds 20 --tiny --name y"
    assert run(cli, ["--folds", "5", "--name", "7"], "waypoint demo")["name"] == "7"
    with pytest.raises(SystemExit) as exc:
        run(cli, ["--bogus"], "waypoint demo")
    assert exc.value.code == 2 and "No such option: --bogus" in capsys.readouterr().err


def test_registry_main_keeps_its_subcommands(tmp_path, monkeypatch, capsys):
    from retrieval.settings import get_settings
    from training.registry import main

    monkeypatch.setenv("WAYPOINT_HOME", str(tmp_path))
    get_settings.cache_clear()
    try:
        listed = main(["list"])
        assert listed["promoted"] is None and listed["adapters"] == []
        assert main(["challengers"]) == {"challengers": []}
        with pytest.raises(SystemExit) as exc:  # an unknown adapter is bad input: exit 2 with the registry's words
            main(["metrics", "explainer-sft-v9", '{"FMR": 0.9}'])
        assert exc.value.code == 2 and "unknown adapter 'explainer-sft-v9'" in capsys.readouterr().err
    finally:
        get_settings.cache_clear()


# ------------------------------------------------------------------------------------------------
# training configs: trl's dataclasses through trl's parser


def test_yaml_and_overrides_give_the_trl_config(tmp_path):
    from trl import DPOConfig, KTOConfig, ModelConfig, SFTConfig

    from training.lora import load_config

    config = load_config(None, "dpo", sets=["learning_rate=1e-4", "lora_r=8", "lora_target_modules=q_proj,v_proj"])
    assert isinstance(config.args, DPOConfig) and isinstance(config.model, ModelConfig)
    assert config.args.learning_rate == 1e-4  # overridden
    assert config.args.beta == 0.1 and config.args.max_length == 1664  # from training/configs/dpo.yaml
    assert config.args.gradient_accumulation_steps == 4 and config.args.save_strategy == "no"
    lora = config.lora_config()  # peft's LoraConfig, from trl's get_peft_config
    assert lora.r == 8 and lora.lora_alpha == 32 and set(lora.target_modules) == {"q_proj", "v_proj"}
    assert config.record()["learning_rate"] == 1e-4 and config.record()["lora_r"] == 8

    # layers: file < its tiny block < typed overrides < --set
    path = tmp_path / "sft.yaml"
    path.write_text(
        "method: sft\nlearning_rate: 0.0002\nmax_steps: -1\nper_device_train_batch_size: 4\n"
        "gradient_accumulation_steps: 2\nthreads: 0\ntiny:\n  max_steps: 3\n  learning_rate: 0.001\n  max_examples: 2\n"
    )
    tiny = load_config(path, "sft", tiny=True, overrides={"max_steps": 5, "seed": 7}, sets=["learning_rate=3e-4"])
    assert isinstance(tiny.args, SFTConfig) and tiny.args.completion_only_loss is True and tiny.args.packing is False
    assert (tiny.max_steps, tiny.seed, tiny.args.data_seed, tiny.max_examples) == (5, 7, 7, 2)
    assert tiny.args.learning_rate == 3e-4
    assert tiny.with_overrides(threads=2).threads == 2 and tiny.with_overrides(threads=2).args.learning_rate == 3e-4
    assert load_config(path, "sft").max_steps == -1  # the file alone
    assert isinstance(load_config(None, "kto").args, KTOConfig)


def test_batch_size_keeps_the_effective_batch():
    from training.lora import config_from_options

    config = config_from_options("sft", config=None, tiny=False, batch_size=1, sets=["gradient_accumulation_steps=3"])
    # sft.yaml: batch 4; --set makes the accumulation 3: 12 examples a step, kept at batch 1
    assert (config.args.per_device_train_batch_size, config.args.gradient_accumulation_steps) == (1, 12)


def test_bad_configs_name_what_is_wrong(tmp_path):
    from training.lora import CONFIG_DIR, ConfigError, load_config

    with pytest.raises(ConfigError, match="no field 'learnin_rate'"):
        load_config(None, "sft", sets=["learnin_rate=1e-4"])
    with pytest.raises(ConfigError, match="invalid float value"):
        load_config(None, "sft", sets=["learning_rate=fast"])
    with pytest.raises(ConfigError, match="FIELD=VALUE"):
        load_config(None, "sft", sets=["learning_rate"])
    with pytest.raises(ConfigError, match="is a 'dpo' config, not 'sft'"):
        load_config(CONFIG_DIR / "dpo.yaml", "sft")
    bad = tmp_path / "bad.yaml"
    bad.write_text("method: kto\nlearning_rat: 0.1\n")
    with pytest.raises(ConfigError, match="no such kto config field.*learning_rat"):
        load_config(bad, "kto")
