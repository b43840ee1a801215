"""Several accounts: list_all_accounts (blocking and async) over several fakes, and from_doctl with a temp config."""

from __future__ import annotations

import asyncio
import pickle
from pathlib import Path
from typing import Callable, Dict, List

import pytest

import gradientai_rs
from gradientai_rs import (
    AccountError,
    AsyncGradientAI,
    AuthenticationError,
    GradientAI,
    list_all_accounts,
    list_all_accounts_async,
)
from gradientai_rs.testing import FakeDigitalOcean

CONFIG = """\
# doctl config
access-token: tok-default
auth-contexts:
  Work: tok-work
  personal: "tok-personal"
context: work
compute:
  ssh:
    ssh-user: root
"""


@pytest.fixture
def three(make_fake: Callable[..., FakeDigitalOcean]) -> Dict[str, FakeDigitalOcean]:
    return {
        "prod": make_fake(30, seed=1, token="tok-prod"),
        "staging": make_fake(12, seed=2, token="tok-staging"),
        "broken": make_fake(5, seed=3, token="tok-other"),
    }


def clients(fakes: Dict[str, FakeDigitalOcean], names: List[str]) -> Dict[str, GradientAI]:
    return {n: GradientAI(api_key=f"tok-{n}", base_url=fakes[n].url, max_retries=0) for n in names}


def test_list_all_accounts_merges_with_accounts(three):
    listing = list_all_accounts(clients(three, ["prod", "staging"]))
    assert len(listing) == 42
    assert listing.accounts == ["prod"] * 30 + ["staging"] * 12
    assert listing.account_of(0) == "prod" and listing.account_of(-1) == "staging"
    assert [s.id for s in listing] == three["prod"].ids() + three["staging"].ids()
    assert listing.errors == {}
    # selections and pickling keep the accounts
    vols = listing.select(resource_type="volume")
    assert vols.accounts == [a for a, s in zip(listing.accounts, listing) if s.resource_type == "volume"]
    assert pickle.loads(pickle.dumps(listing)).accounts == listing.accounts
    assert pickle.loads(pickle.dumps(vols)).accounts == vols.accounts
    biggest = listing.sort_by("size_gigabytes", reverse=True)
    owner = dict(zip((s.id for s in listing), listing.accounts or []))
    assert [biggest.account_of(i) for i in range(len(biggest))] == [owner[s.id] for s in biggest]
    by_account = {g: n for g, n, _, _ in listing.summary("account").rows}
    assert by_account == {"prod": 30, "staging": 12}


def test_account_column_in_arrow(three):
    pytest.importorskip("pyarrow")
    listing = list_all_accounts(clients(three, ["prod", "staging"]))
    table = listing.to_arrow(monthly_cost=True)
    assert table.column("account").to_pylist() == listing.accounts
    assert table.column_names[-2:] == ["account", "monthly_cost_usd"]
    vols = listing.select(resource_type="volume").sort_by("name")
    vt = vols.to_arrow(age_days=True)
    assert vt.column("account").to_pylist() == vols.accounts
    assert vt.column("id").to_pylist() == [s.id for s in vols]
    assert vt.num_rows == len(vols) < len(listing)


def test_failing_account_raises_naming_it(three):
    with pytest.raises(AccountError) as info:
        list_all_accounts(clients(three, ["prod", "broken"]))
    assert info.value.account == "broken"
    assert "broken" in str(info.value)
    assert isinstance(info.value.cause, AuthenticationError)
    assert isinstance(info.value.__cause__, AuthenticationError)
    assert isinstance(info.value, gradientai_rs.GradientAIError)
    assert pickle.loads(pickle.dumps(info.value)).account == "broken"


def test_failing_account_collected(three):
    listing = list_all_accounts(clients(three, ["prod", "broken", "staging"]), errors="collect")
    assert len(listing) == 42
    assert set(listing.accounts or []) == {"prod", "staging"}
    assert list(listing.errors) == ["broken"]
    assert isinstance(listing.errors["broken"], AccountError)
    with pytest.raises(ValueError, match="errors"):
        list_all_accounts({}, errors="ignore")


def test_list_all_accounts_async(three):
    async def main() -> gradientai_rs.SnapshotList:
        cs = {n: AsyncGradientAI(api_key=f"tok-{n}", base_url=three[n].url, max_retries=0) for n in ("prod", "broken")}
        return await list_all_accounts_async(cs, errors="collect")

    listing = asyncio.run(main())
    assert len(listing) == 30 and list(listing.errors) == ["broken"]

    async def raising() -> None:
        cs = {"broken": AsyncGradientAI(api_key="tok-broken", base_url=three["broken"].url, max_retries=0)}
        await list_all_accounts_async(cs)

    with pytest.raises(AccountError, match="broken"):
        asyncio.run(raising())


# --------------------------------------------------------------------------------------------- from_doctl


@pytest.fixture
def config(tmp_path: Path) -> Path:
    p = tmp_path / "config.yaml"
    p.write_text(CONFIG)
    return p


@pytest.mark.parametrize(
    "context, env, token",
    [
        (None, None, "tok-work"),
        ("default", None, "tok-default"),
        ("PERSONAL", None, "tok-personal"),
        (None, "personal", "tok-personal"),
    ],
)
def test_from_doctl_picks_the_context(make_fake, config, monkeypatch, context, env, token):
    fake = make_fake(3, token=token)
    if env:
        monkeypatch.setenv("DIGITALOCEAN_CONTEXT", env)
    client = GradientAI.from_doctl(context, config_path=config, base_url=fake.url)
    assert isinstance(client, GradientAI)
    assert len(client.gpu_droplets.snapshots.list_all()) == 3  # the token was right
    assert token not in repr(client)
    aclient = AsyncGradientAI.from_doctl(context, config_path=str(config), base_url=fake.url)
    assert isinstance(aclient, AsyncGradientAI)


def test_from_doctl_default_path_and_errors(config, monkeypatch, tmp_path):
    monkeypatch.setenv("DIGITALOCEAN_CONFIG", str(config))
    assert GradientAI.from_doctl("work").base_url.startswith("https://")
    assert gradientai_rs._core._doctl_contexts() == ["default", "personal", "work"]
    with pytest.raises(ValueError) as info:
        GradientAI.from_doctl("nope")
    assert "nope" in str(info.value) and "work" in str(info.value)
    assert "tok-" not in str(info.value)
    with pytest.raises(ValueError, match="doctl config file"):
        GradientAI.from_doctl(config_path=tmp_path / "missing.yaml")
    with pytest.raises(TypeError, match="api_key"):
        GradientAI.from_doctl("work", api_key="x")
