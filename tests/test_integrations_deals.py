"""The deal state machine: CRM state in, stable event ids out (pure, no Redis)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from server.integrations.deals import DealState, Observation, normalise_amount, normalise_time, observe

SHANGHAI = ZoneInfo("Asia/Shanghai")


def step(state: DealState, **seen: object) -> tuple[DealState, list[dict], list[tuple[str, ...]]]:
    new_state, routed = observe(state, Observation(deal_id="D1", **seen))  # type: ignore[arg-type]
    return new_state, [r.event for r in routed], [r.owners for r in routed]


def test_a_win_a_loss_and_a_second_win_get_distinct_stable_ids() -> None:
    state, events, owners = step(DealState(), won=True, owner="u1", amount="1000", occurred_at="2026-11-20T10:00:00Z")
    assert events == [
        {
            "id": "D1:won:1",
            "type": "deal.won",
            "amount": "1000",
            "occurred_at": "2026-11-20T10:00:00Z",
            "attrs": {"crm_deal": "D1"},
        }
    ]
    assert owners == [("u1",)] and state == DealState(1, True, "u1")
    state, events, owners = step(state, won=False, owner="u2")
    assert events == [{"id": "D1:reversed:1", "type": "deal.reversed", "ref": "D1:won:1", "attrs": {"crm_deal": "D1"}}]
    assert owners == [("u1", "u2")]  # the reversal goes to whoever got the points first
    state, events, _ = step(state, won=True, owner="u2", amount="1500")
    assert events[0]["id"] == "D1:won:2" and state.wins == 2 and state.owner == "u2"


def test_the_same_state_reported_again_repeats_the_same_event() -> None:
    won, first, _ = step(DealState(), won=True, owner="u1", amount="1000")
    again, repeat, _ = step(won, won=True, owner="u1", amount="1000")
    assert again == won and repeat[0]["id"] == first[0]["id"]
    lost, reversal, _ = step(won, won=False)
    _, reversal_again, _ = step(lost, won=False)
    assert reversal_again == reversal


def test_a_deal_never_won_emits_nothing_and_a_missing_amount_scores_zero() -> None:
    assert step(DealState(), won=False, owner="u1")[1] == []
    _, events, owners = step(DealState(), won=True)
    assert events[0]["amount"] == "0" and owners == [("",)]


def test_an_observation_older_than_the_last_applied_is_ignored() -> None:
    state, _, _ = step(DealState(), won=False, as_of=200.0)
    stale_state, events, _ = step(state, won=True, owner="u1", as_of=100.0)
    assert events == [] and stale_state == state
    _, events, _ = step(state, won=True, owner="u1", as_of=300.0)
    assert events[0]["id"] == "D1:won:1"


def test_state_survives_a_round_trip_through_json() -> None:
    state = DealState(3, True, "u9", 1795600000.5)
    assert DealState.from_json(state.to_json()) == state
    assert DealState.from_json(None) == DealState()


def test_crm_amounts_and_times_become_canonical() -> None:
    assert normalise_amount("1000.0") == "1000"
    assert normalise_amount("12,500.50") == "12500.5"
    assert normalise_amount("") is None and normalise_amount(None) is None
    assert normalise_amount("abc") == "abc"  # left for the event check to refuse
    assert normalise_time("2026-11-20", SHANGHAI) == "2026-11-20T00:00:00+08:00"
    assert normalise_time("2026-11-20T02:00:00.000Z", SHANGHAI) == "2026-11-20T02:00:00+00:00"
    assert normalise_time("2026-11-20 10:00:00", SHANGHAI) == "2026-11-20T10:00:00+00:00"  # Pipedrive: UTC
    assert normalise_time(1795600000000, SHANGHAI) == "2026-11-25T09:46:40+00:00"
    assert normalise_time("soon", SHANGHAI) is None
