"""Misbehaving bots for the tests: one raises, one hangs."""

from __future__ import annotations

import time

from parley.bots.handlers import Bot, Call


class RaisingBot(Bot):
    commands = {"boom": "Always fails"}

    def handle(self, call: Call) -> str:
        raise RuntimeError("the secret internals of the bot")


class SleepyBot(Bot):
    commands = {"sleepy": "Sleeps 30 seconds"}

    def handle(self, call: Call) -> str:
        time.sleep(30)  # the bot under test hangs (its caller's time limit is what is tested)
        return "good morning"
