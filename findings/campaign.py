"""The campaign's settings: phase due dates, deadline, what "finished" means. Settings, not code,
because the next campaign will have other dates. The defaults are dispatch 969/UBND-CATP's
(``findings/campaigns/969-UBND-CATP.toml``); ``reconcile run --campaign FILE`` reads another."""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_FILE = Path(__file__).with_name("campaigns") / "969-UBND-CATP.toml"


class CampaignError(ValueError):
    """A campaign file that cannot be used; the message says which setting and why."""


@dataclass(frozen=True)
class Phase:
    name: str       # "Đợt 1"
    due: dt.date    # the day by which the cadre's group of this phase is to be finished


@dataclass(frozen=True)
class Campaign:
    name: str
    phases: tuple[Phase, ...]
    deadline: dt.date
    done_rate: float = 1.0          # share of eligible residents activated for a group to be finished
    eligible_age: int = 14          # CONTRACT §2
    max_groups_per_cadre: int = 2   # CONTRACT §3
    notice: dict = field(default_factory=dict)   # who issues the result notices ([notice] in the file)

    def phase_of(self, order: int) -> Phase:
        """The phase of a cadre's ``order``-th group (0-based). Groups past the last phase (an
        overloaded cadre's third) fall in the last one."""
        return self.phases[min(order, len(self.phases) - 1)]


def load_campaign(path: str | Path | None = None) -> Campaign:
    """Read a campaign TOML file (default: dispatch 969's). Raises CampaignError."""
    path = Path(path) if path else DEFAULT_FILE
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise CampaignError(f"campaign file {path}: {exc}") from None
    try:
        phases = tuple(Phase(str(p["name"]), _date(p["due"], "phases.due")) for p in raw["phases"])
        campaign = Campaign(
            name=str(raw.get("name", path.stem)), phases=phases,
            deadline=_date(raw["deadline"], "deadline"),
            done_rate=float(raw.get("done_rate", 1.0)), eligible_age=int(raw.get("eligible_age", 14)),
            max_groups_per_cadre=int(raw.get("max_groups_per_cadre", 2)), notice=dict(raw.get("notice", {})))
    except KeyError as exc:
        raise CampaignError(f"campaign file {path}: setting {exc} is missing") from None
    if not phases or list(phases) != sorted(phases, key=lambda p: p.due):
        raise CampaignError(f"campaign file {path}: phases must be listed, earliest first")
    if not 0 < campaign.done_rate <= 1:
        raise CampaignError(f"campaign file {path}: done_rate must be in (0, 1]")
    return campaign


def _date(value, what: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise CampaignError(f"{what}: {value!r} is not a date (YYYY-MM-DD)") from None


DEFAULT = load_campaign()
