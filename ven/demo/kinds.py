"""Site types and vehicle classes of the example fleet, read from its naming convention.

The enrollment file has no column for either (CONTRACT.md fixes its columns), so the example names sites
`<type>-<name>` (school / muni / home) and EVs `<class>-<site>-<nn>` (bus / pickup / suv / car / van).
"""

from __future__ import annotations

SITE_TYPES = {"school": "school districts", "muni": "municipal", "home": "residences"}
VEHICLE_CLASSES = {
    "bus": "school buses",
    "pickup": "pickups (F-150 Lightning)",
    "suv": "SUVs (Kia EV9)",
    "car": "cars (Nissan Leaf)",
    "van": "vans (E-Transit, V1G)",
}
OTHER = "other"


def site_type(site: str) -> str:
    """The site's type label, e.g. 'school districts' for `school-merrimack`."""
    return SITE_TYPES.get(site.split("-", 1)[0], OTHER)


def vehicle_class(ev_id: str) -> str:
    """The EV's class label, e.g. 'school buses' for `bus-cape-03`."""
    return VEHICLE_CLASSES.get(ev_id.split("-", 1)[0], OTHER)


def groups(labels: list[str]) -> dict[str, list[int]]:
    """Indices per label, labels in first-seen order."""
    out: dict[str, list[int]] = {}
    for index, label in enumerate(labels):
        out.setdefault(label, []).append(index)
    return out
