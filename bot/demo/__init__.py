"""The demo city (演示市): fake, deterministic data for `gridcare demo-data`, the sandbox and `bench/`.

A tool, not a use case: nothing the bot does for a user reaches it, so it lives with the runtime's
tools rather than in `models.services`.
"""

from bot.demo.city import DemoSummary, generate_demo_city

__all__ = ["DemoSummary", "generate_demo_city"]
