"""The two bots Parley ships: dice (`/roll`) and room statistics (`/stats`)."""

from __future__ import annotations

import re
import secrets

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from parley.bots import chart, selectors
from parley.bots.handlers import Answer, Bot, Call

DICE_RE = re.compile(r"^(\d{0,2})d(\d{1,4})([+-]\d{1,4})?$", re.I)
BARS = " ▁▂▃▄▅▆▇█"


class DiceBot(Bot):
    """Rolls NdM(+K): `/roll 2d6`, `/roll d20+3`; plain `/roll` is one six-sided die."""

    commands = {"roll": _("Roll dice, like 2d6 or d20+3")}
    usage = {"roll": "2d6"}

    def handle(self, call: Call) -> str:
        spec = call.args.replace(" ", "").lower() or "1d6"
        match = DICE_RE.match(spec)
        count = int(match.group(1) or 1) if match else 0
        sides = int(match.group(2)) if match else 0
        if not match or not 1 <= count <= 20 or not 2 <= sides <= 1000:
            return gettext("I roll dice written like 2d6 or d20+3 (1 to 20 dice of 2 to 1000 sides).")
        bonus = int(match.group(3) or 0)
        rolls = [secrets.randbelow(sides) + 1 for _ in range(count)]
        shown = " + ".join(map(str, rolls)) + (f" {match.group(3)[0]} {abs(bonus)}" if bonus else "")
        total = sum(rolls) + bonus
        result = str(total) if count == 1 and not bonus else f"{shown} = {total}"
        # Translators: a dice roll's answer, e.g. "🎲 ada rolled 2d6: 3 + 5 = 8".
        return gettext("🎲 %(name)s rolled %(dice)s: %(result)s") % {
            "name": call.user_name,
            "dice": spec,
            "result": result,
        }


def bars(values: list[int]) -> str:
    """One block character per value, scaled to the largest (a chart in a line of text)."""
    top = max(values, default=0)
    if top == 0:
        return BARS[1] * len(values)
    return "".join(BARS[max(1, round(v / top * (len(BARS) - 1)))] if v else BARS[1] for v in values)


class StatsBot(Bot):
    """The room's week: messages today, most active members, busiest hours (seed 001's data
    module, answered in the room). The hours come as a line of block characters and as a
    small bar chart, posted with the answer as an image."""

    commands = {"stats": _("Room activity: today, top members, busy hours")}

    def handle(self, call: Call) -> Answer:
        """In the asker's language and time zone: "today" starts at their midnight, and the
        hours are theirs (the zone is named in the answer, which everyone in the room reads)."""
        act = selectors.room_activity(room_id=call.room_id, time_zone=call.time_zone)
        top = ", ".join(f"{name} ({n})" for name, n in act.top) or gettext("nobody yet")
        busiest = sorted(range(24), key=lambda h: (-act.hours[h], h))[:3]
        peak = ", ".join(f"{h:02d}:00" for h in busiest if act.hours[h]) or gettext("none yet")
        lines = [
            gettext("📊 Messages today: %(count)s") % {"count": act.today},
            gettext("Most active this week: %(names)s") % {"names": top},
            gettext("Busiest hours (%(zone)s): %(hours)s") % {"zone": call.time_zone, "hours": peak},
            f"00h {bars(act.hours)} 23h",
        ]
        return Answer(
            "\n".join(lines),
            png=chart.bar_chart_png(act.hours),
            png_name="busy-hours.png",
        )
