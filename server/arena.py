"""The process's shared parts, created once in the lifespan: Redis and the stores over it, the hub, the
ingest writer and the workers. Handlers reach it as ``arena_of(request)`` (``server/http.py``)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from datetime import UTC, datetime
from functools import partial

from redis.exceptions import RedisError

from game import keys
from game.directory import Directory, Rep
from game.rosters import Regroup, contest_teams, regroup
from game.store import LogShardsChanged, Store, XpShardsChanged
from server.auth.secrets import hash_password
from server.config import Settings
from server.integrations.store import IntegrationStore
from server.live.board_reader import StoreBoardReader
from server.live.broker import RedisBroker
from server.live.hub import Hub
from server.live.limits import ConnectionLimiter
from server.notifications.store import NotifyStore
from server.redis_connection import RedisDeployment, connect
from server.services.account_store import AccountStore
from server.services.audit_store import AuditLog
from server.services.backup_store import Backups
from server.services.brand_store import BrandStore
from server.services.challenge_store import ChallengeStore
from server.services.contest_archive_store import ContestArchiveStore
from server.services.display_store import DisplayStore
from server.services.dispute_store import DisputeStore
from server.services.erasure_record_store import ErasureStore
from server.services.event_log_store import EventLogStore
from server.services.flag_store import FlagStore
from server.services.goal_store import GoalStore
from server.services.goals import live_goals
from server.services.import_progress_store import ImportProgressStore
from server.services.ingest_writer import IngestWriter
from server.services.late_store import LateEventStore
from server.services.media_store import MediaStore
from server.services.progress_store import ProgressStore
from server.services.recognition_store import RecognitionStore
from server.services.registry import Registry
from server.services.rescore_store import RescoreStore
from server.services.reward_store import RewardStore
from server.services.scheduling import SchedulerState
from server.services.scorecard_store import ScorecardStore
from server.workers.badges import BadgeWorker
from server.workers.scheduler import Scheduler

log = logging.getLogger("arena")


class Arena:
    """Everything a request handler needs, created once per process in the lifespan."""

    def __init__(self, settings: Settings, deployment: RedisDeployment) -> None:
        self.settings = settings
        keys.use_prefix(settings.key_prefix)  # before anything below builds a key or channel name
        keys.use_xp_shards(settings.xp_shards)
        self.redis = connect(deployment)  # a single Redis, a cluster or a Sentinel-watched master
        # The stores: each owns its keys and scripts, and nothing past them touches Redis.
        # the engine's: the event log, boards, ledgers, badges, results
        self.store = Store(self.redis, log_shards=settings.log_shards, wait_replicas=settings.redis_wait_replicas)
        self.registry = Registry(self.redis, timezone=settings.timezone, currency=settings.currency)
        self.imports = ImportProgressStore(self.redis)  # how far each reps import has come
        self.accounts = AccountStore(self.redis)
        self.displays = DisplayStore(self.redis)
        self.media = MediaStore(self.redis)  # reps' photos, the organisation's logo
        self.brand = BrandStore(self.redis)
        self.goals = GoalStore(self.redis)  # goals and the working-day calendar
        self.challenges = ChallengeStore(self.redis)
        self.disputes = DisputeStore(self.redis)
        self.rewards = RewardStore(self.redis)  # reward points, the catalogue, redemptions, budgets
        self.recognition = RecognitionStore(self.redis)
        self.progress = ProgressStore(self.redis)
        self.audit = AuditLog(self.redis)
        self.event_log = EventLogStore(self.redis, shards=settings.log_shards)
        self.backups = Backups.configured(self.redis, self.event_log, settings)  # scheduled by the scheduler
        self.flags = FlagStore(self.redis)
        self.rescores = RescoreStore(self.redis)
        self.late_events = LateEventStore(self.redis)
        self.contest_archives = ContestArchiveStore(self.redis)  # closed contests, compacted
        self.erasures = ErasureStore(self.redis)  # erasing a person (docs/privacy.md)
        self.scorecards = ScorecardStore(self.redis)  # each team's KPI scorecard definition
        self.integrations = IntegrationStore(self.redis)
        self.notifications = NotifyStore(self.redis)
        self.hub = Hub(
            RedisBroker(self.redis),
            StoreBoardReader(self.store, rows=settings.board_rows, zone=settings.zone),
            self.registry,
            tick_ms=settings.tick_ms,
        )
        self.hub.goals = partial(live_goals, self)  # the phones' goals board
        self.background: set[asyncio.Task[None]] = set()
        self.bootstrapped = False  # the keys and admin user from the environment are in place
        self.ingest_writer = IngestWriter(self.store)
        self.badges = BadgeWorker(self.store, self.registry, settings.zone, calendar=self.goals.work_calendar)
        self.scheduler = Scheduler(self, SchedulerState(self.redis), interval=settings.scheduler_seconds)
        self.connections = ConnectionLimiter(per_ip=settings.ws_per_ip)

    async def bootstrap(self) -> None:
        """Check the event log's and XP's shard counts (a different one stops the start-up), then apply the
        identities named in the environment: the admin user and the admin/ingest keys."""
        await self.store.check_log_shards()
        await self.store.check_xp_shards()
        if self.settings.admin_password:
            user = {"username": "admin", "role": "admin", "password": hash_password(self.settings.admin_password)}
            await self.accounts.save_user(user)
        for key, scope, name in (
            (self.settings.admin_key, "admin", "ARENA_ADMIN_KEY"),
            (self.settings.ingest_key, "ingest", "ARENA_INGEST_KEY"),
        ):
            if key and not await self.accounts.add_configured_api_key(key, scope, name):
                log.warning("%s was revoked over the API and stays revoked: set a new key to use one", name)

    async def bootstrap_when_ready(self) -> None:
        """Bootstrap as soon as Redis answers; the server is up (and says "not ready") until then. A log (or XP) kept in
        another number of shards stops the start-up (found later, it keeps the server not ready, and no event is
        logged: ``Store`` checks before its first write)."""
        while True:
            try:
                await self.bootstrap()
                self.bootstrapped = True
                return
            except (LogShardsChanged, XpShardsChanged) as exc:
                log.error("%s", exc)
                raise
            except (RedisError, OSError) as exc:
                log.warning("redis not reachable yet (%s); retrying", exc)
                await asyncio.sleep(1)

    async def sync_rosters(
        self,
        reps: Iterable[str] | None = None,
        teams: Iterable[str] | None = None,
        contest: str | None = None,
        *,
        former_teams: Iterable[str | None] | None = None,
    ) -> None:
        """Put participants of running and upcoming contests on their boards (zero points): only the given
        reps or teams, or everyone of one contest, or everyone everywhere. Then regroup those contests'
        teams (and any epoch being rebuilt): a rep who moved team, joined or left changes the team scores at
        once (``regroup_teams.lua``), and the team boards' viewers are told. Two round trips in all.

        Only the teams a change touched are regrouped: the given teams, or the given reps' teams now and
        ``former_teams`` (the teams they were in before the change); every team when those are not known."""
        snapshot = await self.registry.current()
        now = datetime.now(UTC)
        directory = snapshot.directory
        rep_filter = set(reps) if reps is not None else None
        team_filter = set(teams) if teams is not None else None
        await self.store.prepare()  # how doorbells ring, before ``queue_members`` rings them
        touched = _touched_teams(directory, rep_filter, team_filter, former_teams, contest)
        pipe = self.redis.pipeline(transaction=False)
        regroups: list[Regroup] = []
        for candidate in snapshot.contests.values():
            if candidate.status_at(now) in ("ended", "archived") or (contest and candidate.id != contest):
                continue
            regroups.append(regroup(candidate, directory, teams=touched))
            rebuilding = snapshot.rebuilding.get(candidate.id)
            if rebuilding is not None:
                regroups.append(regroup(rebuilding, directory, quiet=True, teams=touched))
            candidates = directory.reps.values() if rep_filter is None else _present(directory, rep_filter)
            members = [r.id for r in candidates if r.active and candidate.includes(r.id, r.team)]
            squads = [t for t in contest_teams(candidate, directory) if team_filter is None or t in team_filter]
            if rep_filter is not None and team_filter is None:
                squads = []
            if team_filter is not None and rep_filter is None:
                members = []
            divisions = {rep: d for rep in members if (d := candidate.division_of(rep))}
            if members or squads:
                self.store.queue_members(pipe, candidate.id, candidate.epoch, members, squads, divisions)
        await pipe.execute()
        await self.store.regroup_teams(regroups)


def _present(directory: Directory, rep_ids: set[str]) -> list[Rep]:
    return [rep for rep_id in rep_ids if (rep := directory.reps.get(rep_id)) is not None]


def _touched_teams(
    directory: Directory,
    reps: set[str] | None,
    teams: set[str] | None,
    former_teams: Iterable[str | None] | None,
    contest: str | None,
) -> set[str] | None:
    """The teams whose rosters a change may have moved; None: all of them."""
    if contest is not None or (reps is None and teams is None) or (reps is not None and former_teams is None):
        return None
    touched = set(teams or ())
    if reps is not None:
        touched.update(team for team in former_teams or () if team)
        touched.update(rep.team for rep in _present(directory, reps) if rep.team)
    return touched
