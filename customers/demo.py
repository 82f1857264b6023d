"""The customers app's demo step (omni.seeding): the loyalty programme."""

from customers.loyalty.demo import loyalty_demo_seed
from omni.seeding import DemoRun

SEED_AFTER = ("accounts",)  # the demo customer gets a welcome gift


def seed_demo(run: DemoRun) -> None:
    for line in loyalty_demo_seed():
        run.write(line)
