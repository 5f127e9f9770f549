"""What the benchmarks that fill a database with residents' requests share: the mix of
categories and channels of a working station, the texts, and a weighted draw.

Not a test. Used by workorders_list.py and dashboard_generate.py.
"""

from __future__ import annotations

import random

# (category code, share) of a station's requests; the codes are the seeded categories
# (workorders migration 0002).
CATEGORIES = [
    ("fault_behind_meter", 25),
    ("fault_before_meter", 10),
    ("outage_enquiry", 15),
    ("billing_enquiry", 20),
    ("metering_dispute", 4),
    ("business_new", 3),
    ("business_capacity", 3),
    ("business_transfer", 3),
    ("business_relocate", 2),
    ("hazard", 4),
    ("complaint", 6),
    ("suggestion", 5),
]
CHANNELS = [("web", 35), ("api", 15), ("phone", 30), ("open311", 5), ("visit", 10), ("circle", 5)]
TEXTS = [
    "家里跳闸了，空开合不上，厨房插座没电。",
    "这个月电费比上个月多了一倍，想查一下明细。",
    "今天下午为什么停电？什么时候来电？",
    "楼道灯不亮，晚上走路不安全。",
    "家里要装充电桩，申请增容。",
]


def weighted(rng: random.Random, pairs: list[tuple[str, int]]) -> str:
    return rng.choices([key for key, _ in pairs], [weight for _, weight in pairs])[0]
