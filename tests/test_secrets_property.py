"""Property: whatever else a values document holds, planted secrets reach no output format."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from starter_lint.option_table import FORMATS

from .support import run_in_process

secret = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.", min_size=6, max_size=24
).map(lambda s: "PLANT" + s)
secret_env_key = st.sampled_from(
    ["DB_PASSWORD", "API_TOKEN", "STRIPE_SECRET_KEY", "SESSION_SECRET", "SIGNING_KEY", "OAUTH_CLIENT_SECRET"]
)
plain = st.one_of(st.text(max_size=12), st.integers(-5, 5), st.booleans(), st.none())
component = st.sampled_from(["api", "web", "worker"])


@st.composite
def planted_values(draw):
    secrets_mode_external = draw(st.booleans())
    values: dict = {
        "externalSecrets": {"enabled": secrets_mode_external},
        "worker": {"enabled": draw(st.booleans())},
    }
    planted = []
    for _ in range(draw(st.integers(1, 4))):
        where = draw(st.sampled_from(["secrets", "env", "url"]))
        comp = draw(component)
        value = draw(secret)
        block = values.setdefault(comp, {})
        if where == "secrets":
            block.setdefault("secrets", {})[draw(st.sampled_from(["DATABASE_URL", "REDIS_URL", "X"]))] = value
        elif where == "env":
            block.setdefault("env", {})[draw(secret_env_key)] = value
        else:
            user = draw(st.sampled_from(["app", "admin", ""]))
            block.setdefault("env", {})[draw(st.sampled_from(["DATABASE_URL", "REDIS_URL", "CACHE_URL"]))] = (
                f"postgres://{user}:{value}@db.internal:5432/app"
            )
        planted.append(value)
    # noise around the planted values: other keys, env values of every type
    for comp in ("api", "web"):
        env = values.setdefault(comp, {}).setdefault("env", {})
        for key in draw(
            st.lists(st.sampled_from(["ENVIRONMENT", "DEBUG", "FEATURE_X", "APP_PUBLIC_URL"]), max_size=3)
        ):
            env.setdefault(key, draw(plain))
    return values, planted


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=planted_values(), as_json=st.booleans())
def test_planted_secrets_reach_no_output(case, as_json):
    values, planted = case
    with tempfile.TemporaryDirectory() as tmp:
        text = json.dumps(values) if as_json else _yaml(values)
        Path(tmp, "values.yaml").write_text(text, encoding="utf-8")
        outputs = []
        for fmt in FORMATS:
            code, out, err = run_in_process(["check", "values.yaml", "--format", fmt], tmp)
            assert code in (0, 1), err
            outputs.append(out + err)
        for extra in (["--provenance"], ["--format", "json"]):
            code, out, err = run_in_process(["values", "-f", "values.yaml", *extra], tmp)
            assert code == 0, err
            outputs.append(out + err)
        for output in outputs:
            for value in planted:
                assert value not in output


def _yaml(values) -> str:
    from starter_lint.values.show import to_yaml

    return "\n".join(to_yaml(values)) + "\n"
