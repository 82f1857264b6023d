"""Distances, and where Turkey's cities are (the centre of each of the 81 provinces), so that a
shopper's city is enough to find the stores and warehouses nearest to them."""

from __future__ import annotations

import math
import unicodedata

# Approximate coordinates of each province's centre.
CITIES: dict[str, tuple[float, float]] = {
    "adana": (37.0000, 35.3213), "adiyaman": (37.7648, 38.2786), "afyonkarahisar": (38.7507, 30.5567),
    "agri": (39.7191, 43.0503), "amasya": (40.6499, 35.8353), "ankara": (39.9334, 32.8597),
    "antalya": (36.8969, 30.7133), "artvin": (41.1828, 41.8183), "aydin": (37.8560, 27.8416),
    "balikesir": (39.6484, 27.8826), "bilecik": (40.1426, 29.9793), "bingol": (38.8847, 40.4980),
    "bitlis": (38.4006, 42.1095), "bolu": (40.7395, 31.6116), "burdur": (37.7203, 30.2908),
    "bursa": (40.1885, 29.0610), "canakkale": (40.1553, 26.4142), "cankiri": (40.6013, 33.6134),
    "corum": (40.5506, 34.9556), "denizli": (37.7765, 29.0864), "diyarbakir": (37.9144, 40.2306),
    "edirne": (41.6818, 26.5623), "elazig": (38.6810, 39.2264), "erzincan": (39.7500, 39.5000),
    "erzurum": (39.9000, 41.2700), "eskisehir": (39.7767, 30.5206), "gaziantep": (37.0662, 37.3833),
    "giresun": (40.9128, 38.3895), "gumushane": (40.4386, 39.5086), "hakkari": (37.5833, 43.7333),
    "hatay": (36.4018, 36.3498), "isparta": (37.7648, 30.5566), "mersin": (36.8000, 34.6333),
    "istanbul": (41.0082, 28.9784), "izmir": (38.4237, 27.1428), "kars": (40.6167, 43.1000),
    "kastamonu": (41.3887, 33.7827), "kayseri": (38.7312, 35.4787), "kirklareli": (41.7333, 27.2167),
    "kirsehir": (39.1425, 34.1709), "kocaeli": (40.8533, 29.8815), "konya": (37.8667, 32.4833),
    "kutahya": (39.4167, 29.9833), "malatya": (38.3552, 38.3095), "manisa": (38.6191, 27.4289),
    "kahramanmaras": (37.5858, 36.9371), "mardin": (37.3212, 40.7245), "mugla": (37.2153, 28.3636),
    "mus": (38.9462, 41.7539), "nevsehir": (38.6939, 34.6857), "nigde": (37.9667, 34.6833),
    "ordu": (40.9839, 37.8764), "rize": (41.0201, 40.5234), "sakarya": (40.6940, 30.4358),
    "samsun": (41.2928, 36.3313), "siirt": (37.9333, 41.9500), "sinop": (42.0231, 35.1531),
    "sivas": (39.7477, 37.0179), "tekirdag": (40.9833, 27.5167), "tokat": (40.3167, 36.5500),
    "trabzon": (41.0015, 39.7178), "tunceli": (39.1079, 39.5401), "sanliurfa": (37.1591, 38.7969),
    "usak": (38.6823, 29.4082), "van": (38.4891, 43.4089), "yozgat": (39.8181, 34.8147),
    "zonguldak": (41.4564, 31.7987), "aksaray": (38.3687, 34.0370), "bayburt": (40.2552, 40.2249),
    "karaman": (37.1759, 33.2287), "kirikkale": (39.8468, 33.5153), "batman": (37.8812, 41.1351),
    "sirnak": (37.5164, 42.4611), "bartin": (41.6344, 32.3375), "ardahan": (41.1105, 42.7022),
    "igdir": (39.9237, 44.0450), "yalova": (40.6500, 29.2667), "karabuk": (41.2061, 32.6204),
    "kilis": (36.7184, 37.1212), "osmaniye": (37.0742, 36.2478), "duzce": (40.8438, 31.1565),
}  # fmt: skip


def city_key(name: str) -> str:
    """ "İzmir", "IZMIR" and "izmir" are one city."""
    text = (name or "").strip().replace("İ", "i").replace("I", "ı").lower().replace("ı", "i")
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def city_position(name: str) -> tuple[float, float] | None:
    return CITIES.get(city_key(name))


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance (haversine)."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0 * math.asin(math.sqrt(h))
