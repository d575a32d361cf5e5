"""What a notification says, in Chinese or English: a title and a few lines, independent of the platform.

Pure: a notification (``{"id", "kind", "data"}``, as queued by the collector) and a language in, a
``Message`` out. Lines use one markup only, ``**bold**``; ``formats.py`` turns that into each platform's
markdown or card. Money is shown with the currency's symbol and thousands grouping (¥1,280,000).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from server.i18n.catalogs import format_money, format_number

MAX_SUMMARY_LINES = 15
PRODUCT = {"zh-CN": "销售竞技场", "en": "Sales Arena"}


@dataclass(frozen=True)
class Message:
    title: str
    lines: tuple[str, ...]
    color: str = "red"  # red (a win), gold (a crown), blue (a report), grey (a test)
    footer: str = ""

    def plain(self) -> str:
        return "\n".join((self.title, *self.lines)).replace("**", "")


TEXTS: dict[str, dict[str, str]] = {
    "zh-CN": {
        "deal.title": "🎉 喜报：{rep} 签单 {amount}",
        "deal.title_no_amount": "🎉 喜报：{rep} 赢单",
        "deal.line": "**{rep}**（{team}）在「{contest}」签下{customer}**{amount}**，+{points} 分",
        "deal.line_no_team": "**{rep}** 在「{contest}」签下{customer}**{amount}**，+{points} 分",
        "deal.customer": "「{customer}」",
        "deal.rank": "当前排名：第 {rank} 名",
        "lead.title": "👑 榜首易主：{rep} 登顶「{contest}」",
        "lead.line": "**{rep}** 超越 {previous}，以 **{score}** 领跑「{contest}」",
        "badge.title": "🏅 {rep} 获得徽章「{badge}」",
        "badge.line": "**{rep}**{team}解锁「**{badge}**」",
        "won.title": "🏆 「{contest}」落幕：冠军 {champion}",
        "won.champion": "冠军：**{champion}**（{score}）",
        "won.team": "最佳团队：**{team}**",
        "won.podium": "第 {rank} 名：{name}（{score}）",
        "won.no_champion": "本场比赛没有产生冠军",
        "corrected.title": "📝 「{contest}」结果更正",
        "corrected.reason": "原因：{reason}",
        "corrected.champion": "冠军更正为：**{champion}**（原为 {previous}）",
        "corrected.move": "{name}：第 {old} 名 → 第 {new} 名",
        "corrected.prize": "{name}：奖励 {old} → {new}",
        "won.prize": "🎁 {prize}：{name}",
        "won.prize_first": "🎁 {prize}：{name}（与 {others} 同为 {score}，先达到者得）",
        "won.prize_shared": "🎁 {prize}：{name} 并列共享（同为 {score}）",
        "won.prize_empty": "🎁 {prize}：{places} 个名额空缺（未达到最低 {minimum}）",
        "list_sep": "、",
        "digest.daily": "📊 今日战报 · {period}",
        "digest.weekly": "📊 本周战报 · {period}",
        "digest.contest": "**「{contest}」排行榜**",
        "digest.row": "{rank}. {name} — {score}",
        "digest.movers": "**进步最快**",
        "digest.mover": "{name} +{gained}{move}",
        "digest.move": "（第 {before} → 第 {after} 名）",
        "digest.badges": "**新徽章**",
        "digest.badge": "{name}：{badge}",
        "digest.champions": "**冠军**",
        "digest.champion": "「{contest}」：{name}",
        "digest.quiet": "今天赛场很安静，明天继续冲！",
        "summary.title": "⚡ 最新战况：{count} 条喜报",
        "summary.more": "……还有 {count} 条",
        "test.title": "✅ 测试消息：{channel}",
        "test.line": "{product} 已连接到这个群，喜报、徽章和战报将发送到这里。",
        "points": "{points} 分",
        "percent": "{percent}%",
        "team_sep": "（{team}）",
        "kudos.title": "👏 {by} 为 {name} 点赞",
        "kudos.line": "**{name}**{team}：{message}",
        "award.title": "🏆 {title}：{name}",
        "award.line": "「{contest}」的{title}授予 **{name}**",
        "award.corrected": "📝 {title}更正为：**{name}**（原为 {previous}）",
        "award.vacant": "📝 「{contest}」结果更正后，{title}空缺（原为 {previous}）",
    },
    "en": {
        "deal.title": "🎉 {rep} closed {amount}",
        "deal.title_no_amount": "🎉 {rep} won a deal",
        "deal.line": "**{rep}** ({team}) won **{amount}**{customer} in “{contest}”, +{points} points",
        "deal.line_no_team": "**{rep}** won **{amount}**{customer} in “{contest}”, +{points} points",
        "deal.customer": " from {customer}",
        "deal.rank": "Now ranked #{rank}",
        "lead.title": "👑 New leader in “{contest}”: {rep}",
        "lead.line": "**{rep}** overtook {previous} and leads “{contest}” with **{score}**",
        "badge.title": "🏅 {rep} earned “{badge}”",
        "badge.line": "**{rep}**{team} unlocked “**{badge}**”",
        "won.title": "🏆 “{contest}” is over: {champion} is the champion",
        "won.champion": "Champion: **{champion}** ({score})",
        "won.team": "Best team: **{team}**",
        "won.podium": "#{rank} {name} ({score})",
        "won.no_champion": "No champion this time",
        "corrected.title": "📝 “{contest}”: results corrected",
        "corrected.reason": "Why: {reason}",
        "corrected.champion": "Champion now: **{champion}** (was {previous})",
        "corrected.move": "{name}: #{old} → #{new}",
        "corrected.prize": "{name}: prize {old} → {new}",
        "won.prize": "🎁 {prize}: {name}",
        "won.prize_first": "🎁 {prize}: {name} (tied with {others} on {score}, reached it first)",
        "won.prize_shared": "🎁 {prize}: shared by {name} (tied on {score})",
        "won.prize_empty": "🎁 {prize}: {places} place(s) not awarded (below the minimum of {minimum})",
        "list_sep": ", ",
        "digest.daily": "📊 Daily report · {period}",
        "digest.weekly": "📊 Weekly report · {period}",
        "digest.contest": "**“{contest}” standings**",
        "digest.row": "{rank}. {name} — {score}",
        "digest.movers": "**Biggest movers**",
        "digest.mover": "{name} +{gained}{move}",
        "digest.move": " (#{before} → #{after})",
        "digest.badges": "**New badges**",
        "digest.badge": "{name}: {badge}",
        "digest.champions": "**Champions**",
        "digest.champion": "“{contest}”: {name}",
        "digest.quiet": "A quiet day on the floor. Tomorrow is another race!",
        "summary.title": "⚡ Latest: {count} wins and moments",
        "summary.more": "…and {count} more",
        "test.title": "✅ Test message: {channel}",
        "test.line": "{product} is connected to this chat: wins, badges and reports will appear here.",
        "points": "{points} points",
        "percent": "{percent}%",
        "team_sep": " ({team})",
        "kudos.title": "👏 Kudos from {by} to {name}",
        "kudos.line": "**{name}**{team}: {message}",
        "award.title": "🏆 {title}: {name}",
        "award.line": "“{contest}”: the {title} goes to **{name}**",
        "award.corrected": "📝 {title} corrected: **{name}** (was {previous})",
        "award.vacant": "📝 “{contest}” corrected: the {title} goes to nobody (was {previous})",
    },
}


def text(locale: str, key: str, **values: Any) -> str:
    return TEXTS[locale if locale in TEXTS else "zh-CN"][key].format(**values)


def score_text(score: int, unit: str, locale: str) -> str:
    """Points grouped by thousands, or a percentage of target (scores are tenths of a percent)."""
    if unit == "percent":
        return text(locale, "percent", percent=format_number(score / 10, 1))
    return text(locale, "points", points=format_number(score))


def badge_title(names: Mapping[str, str] | str, locale: str) -> str:
    if isinstance(names, str):
        return names
    return names.get(locale) or names.get("zh-CN") or names.get("en") or ""


def deal_message(data: Mapping[str, Any], locale: str) -> Message:
    amount = format_money(data.get("amount") or None, data.get("currency") or "CNY", locale)
    customer = text(locale, "deal.customer", customer=data["customer"]) if data.get("customer") else ""
    values = {
        "rep": data["rep_name"],
        "team": data.get("team_name") or "",
        "contest": data["contest_name"],
        "amount": amount,
        "customer": customer,
        "points": format_number(data.get("points", 0)),
    }
    title = text(locale, "deal.title" if amount else "deal.title_no_amount", **values)
    lines = [text(locale, "deal.line" if values["team"] else "deal.line_no_team", **values)]
    if data.get("rank"):
        lines.append(text(locale, "deal.rank", rank=data["rank"]))
    return Message(title, tuple(lines), "red")


def lead_message(data: Mapping[str, Any], locale: str) -> Message:
    values = {
        "rep": data["rep_name"],
        "previous": data["previous_name"],
        "contest": data["contest_name"],
        "score": score_text(int(data.get("score", 0)), data.get("unit", "points"), locale),
    }
    return Message(text(locale, "lead.title", **values), (text(locale, "lead.line", **values),), "gold")


def badge_message(data: Mapping[str, Any], locale: str) -> Message:
    badge = badge_title(data.get("badge_name") or data["badge"], locale)
    team = text(locale, "team_sep", team=data["team_name"]) if data.get("team_name") else ""
    values = {"rep": data["rep_name"], "badge": badge, "team": team}
    return Message(text(locale, "badge.title", **values), (text(locale, "badge.line", **values),), "gold")


def won_message(data: Mapping[str, Any], locale: str) -> Message:
    unit = data.get("unit", "points")
    champion = data.get("champion_name")
    title = text(locale, "won.title", contest=data["contest_name"], champion=champion or "—")
    lines: list[str] = []
    if champion:
        score = score_text(int(data.get("champion_score", 0)), unit, locale)
        lines.append(text(locale, "won.champion", champion=champion, score=score))
    else:
        lines.append(text(locale, "won.no_champion"))
    if data.get("team_name"):
        lines.append(text(locale, "won.team", team=data["team_name"]))
    for row in data.get("podium", [])[1:3]:
        score = score_text(int(row["score"]), unit, locale)
        lines.append(text(locale, "won.podium", rank=row["rank"], name=row["name"], score=score))
    lines += prize_lines(data, unit, locale)
    return Message(title, tuple(lines), "gold")


def corrected_message(data: Mapping[str, Any], locale: str) -> Message:
    """Closed results corrected (a rules change with a reason, a late event applied): told once, plainly."""
    lines = [text(locale, "corrected.reason", reason=data.get("reason") or "—")]
    if data.get("champion_name") != data.get("previous_name"):
        lines.append(
            text(
                locale,
                "corrected.champion",
                champion=data.get("champion_name") or "—",
                previous=data.get("previous_name") or "—",
            )
        )
    for change in data.get("changes", [])[:5]:
        what = "prize" if change.get("old_prize") != change.get("new_prize") else "rank"
        old, new = change.get(f"old_{what}") or "—", change.get(f"new_{what}") or "—"
        key = "corrected.prize" if what == "prize" else "corrected.move"
        lines.append(text(locale, key, name=change["name"], old=old, new=new))
    return Message(text(locale, "corrected.title", contest=data["contest_name"]), tuple(lines), "grey")


def prize_lines(data: Mapping[str, Any], unit: str, locale: str) -> list[str]:
    """Who won each prize, saying how a tie was settled (reached first, or shared), and the places left empty
    because nobody else reached the prize's minimum."""
    sep = text(locale, "list_sep")
    groups: dict[tuple[str, str, int, str], list[Mapping[str, Any]]] = {}
    for index, award in enumerate(data.get("prizes", [])):
        shared = award.get("tie") == "shared"  # one line for everyone sharing a prize
        key = (award["prize"], "shared" if shared else str(index), int(award["score"]), str(award.get("tie")))
        groups.setdefault(key, []).append(award)
    lines: list[str] = []
    for (prize, _, points, tie), awards in groups.items():
        score = score_text(points, unit, locale)
        name = sep.join(award["name"] for award in awards)
        if tie == "shared":
            lines.append(text(locale, "won.prize_shared", prize=prize, name=name, score=score))
        elif tie == "reached_first":
            others = sep.join(awards[0].get("others", []))
            lines.append(text(locale, "won.prize_first", prize=prize, name=name, others=others, score=score))
        else:
            lines.append(text(locale, "won.prize", prize=prize, name=name))
    for empty in data.get("unawarded", []):
        minimum = score_text(int(empty["min_score"]), unit, locale)
        lines.append(text(locale, "won.prize_empty", prize=empty["prize"], places=empty["places"], minimum=minimum))
    return lines


def digest_message(data: Mapping[str, Any], locale: str) -> Message:
    title = text(locale, f"digest.{data['kind']}", period=data["period"])
    lines: list[str] = []
    for contest in data.get("contests", []):
        unit = contest.get("unit", "points")
        lines.append(text(locale, "digest.contest", contest=contest["name"]))
        for row in contest.get("top", []):
            score = score_text(int(row["score"]), unit, locale)
            lines.append(text(locale, "digest.row", rank=row["rank"], name=row["name"], score=score))
        if contest.get("movers"):
            lines.append(text(locale, "digest.movers"))
            for mover in contest["movers"]:
                move = ""
                if mover.get("before") and mover["before"] != mover["after"]:
                    move = text(locale, "digest.move", before=mover["before"], after=mover["after"])
                gained = score_text(int(mover["gained"]), unit, locale)
                lines.append(text(locale, "digest.mover", name=mover["name"], gained=gained, move=move))
    if data.get("champions"):
        lines.append(text(locale, "digest.champions"))
        for row in data["champions"]:
            lines.append(text(locale, "digest.champion", contest=row["contest_name"], name=row["name"]))
    if data.get("badges"):
        lines.append(text(locale, "digest.badges"))
        for row in data["badges"]:
            lines.append(text(locale, "digest.badge", name=row["name"], badge=badge_title(row["badge_name"], locale)))
    if not lines:
        lines.append(text(locale, "digest.quiet"))
    return Message(title, tuple(lines), "blue")


def hello_message(data: Mapping[str, Any], locale: str) -> Message:
    return Message(
        text(locale, "test.title", channel=data.get("channel_name", "")),
        (text(locale, "test.line", product=PRODUCT.get(locale, PRODUCT["zh-CN"])),),
        "grey",
    )


def kudos_message(data: Mapping[str, Any], locale: str) -> Message:
    """A manager's kudos (赞): who thanked whom, in the manager's words (plain text: chats render markdown, so the
    message is sent as it was written, bold markers and all)."""
    name = data.get("rep_name") or data.get("team_name") or ""
    team = text(locale, "team_sep", team=data["team_name"]) if data.get("rep_name") and data.get("team_name") else ""
    return Message(
        text(locale, "kudos.title", by=data.get("by", ""), name=name),
        (text(locale, "kudos.line", name=name, team=team, message=data.get("message", "")),),
        "gold",
    )


def award_message(data: Mapping[str, Any], locale: str) -> Message:
    """An award crowned from a contest's result, or moved (or left empty) by a correction after the close."""
    title = data.get("title") or (data.get("default_title") or {}).get(locale) or data.get("award", "")
    name = data.get("rep_name") if data.get("award") == "best_seller" else data.get("team_name")
    values = {"title": title, "contest": data.get("contest_name", ""), "previous": data.get("previous_name") or "—"}
    if not data.get("winner"):
        return Message(text(locale, "award.vacant", **values), (), "blue")
    if data.get("corrected"):
        return Message(text(locale, "award.corrected", name=name, **values), (), "gold")
    return Message(
        text(locale, "award.title", name=name, **values), (text(locale, "award.line", name=name, **values),), "gold"
    )


RENDERERS = {
    "kudos": kudos_message,
    "award": award_message,
    "deal": deal_message,
    "lead_change": lead_message,
    "badge": badge_message,
    "contest_won": won_message,
    "contest_corrected": corrected_message,
    "digest": digest_message,
    "test": hello_message,
}


def render(item: Mapping[str, Any], locale: str) -> Message:
    """One queued notification as a message, with the product's name as the footer (DingTalk and
    Feishu robots with keyword security need a fixed word in every message: use 销售竞技场 / Sales Arena)."""
    message = RENDERERS[item["kind"]](item["data"], locale)
    return Message(message.title, message.lines, message.color, PRODUCT.get(locale, PRODUCT["zh-CN"]))


def summary(items: Sequence[Mapping[str, Any]], locale: str) -> Message:
    """Several celebrations folded into one message (when a burst would pass the chat's rate limit)."""
    lines = [render(item, locale).title for item in items[:MAX_SUMMARY_LINES]]
    if len(items) > MAX_SUMMARY_LINES:
        lines.append(text(locale, "summary.more", count=len(items) - MAX_SUMMARY_LINES))
    return Message(
        text(locale, "summary.title", count=len(items)), tuple(lines), "red", PRODUCT.get(locale, PRODUCT["zh-CN"])
    )
