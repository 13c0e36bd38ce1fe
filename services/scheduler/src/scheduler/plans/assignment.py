"""Auto-assignment: each new activity goes to a staff member with its role, balancing booked hours per week."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any


def week_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


class Assigner:
    """Greedy balancing: the person with the role whose week is least full (booked ÷ capacity) gets the activity.
    Ties go to whoever has fewer hours in total, then to the oldest staff record, so the result is deterministic.
    Hours are Decimal, like everywhere else: no float rounding can tip a tie."""

    def __init__(self, staff: Iterable[Any], booked: Iterable[tuple[uuid.UUID, dt.date, Decimal]]) -> None:
        self._by_role: dict[tuple[str, str], list[uuid.UUID]] = defaultdict(list)
        self._capacity: dict[uuid.UUID, Decimal] = {}
        for member in staff:
            self._capacity[member.id] = Decimal(str(member.weekly_capacity_hours))
            for role in member.roles:
                self._by_role[(member.tenant_id, role)].append(member.id)
        self._week: dict[tuple[uuid.UUID, dt.date], Decimal] = defaultdict(Decimal)
        self._total: dict[uuid.UUID, Decimal] = defaultdict(Decimal)
        for staff_id, week, hours in booked:
            self._week[(staff_id, week)] += Decimal(str(hours))
            self._total[staff_id] += Decimal(str(hours))

    def __bool__(self) -> bool:
        return bool(self._by_role)

    def pick(self, tenant_id: str, role: str, due: dt.date, effort: Decimal) -> uuid.UUID | None:
        candidates = self._by_role.get((tenant_id, role))
        if not candidates:
            return None
        week = week_of(due)
        best: uuid.UUID | None = None
        best_key: tuple[Decimal, Decimal] | None = None
        for staff_id in candidates:
            capacity = self._capacity[staff_id]
            booked = self._week[(staff_id, week)]
            load = (booked + effort) / capacity if capacity > 0 else Decimal("Infinity")
            key = (load, self._total[staff_id])
            if best_key is None or key < best_key:
                best, best_key = staff_id, key
        assert best is not None
        self._week[(best, week)] += effort
        self._total[best] += effort
        return best
