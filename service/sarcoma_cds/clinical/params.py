"""Clinical thresholds passed into the pure core (their values come from Settings)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ClinicalParameters:
    long_dfi_months: int = 12  # §3.8 "longer DFI (i.e., >12–18 months)"
    # 3.1 "long DFI" as a reason to doubt the origin: our reading, a separate and longer setting
    # so that ordinary relapses after a year do not all get a biopsy card.
    origin_long_dfi_months: int = 36
    staging_window_days: int = 90  # a lesion count older than this needs restaging (1.1)
    tfi_favourable_months: int = 12  # 9.1 "TFI longer than 12–18 months"
    imaging_recent_days: int = 90  # a study within this window is not suggested again
    synchronous_months: int = 6  # 2.1 / 2.2 / §3.8: ≤ 6 months is synchronous
    omd_max_lesions: int = 5  # 1.1
    omd_max_sites: int = 2  # 1.1
    flr_min_percent: float = 25.0  # §3.7 normal liver
    flr_workup_percent: float = 40.0  # §3.7 30–40 % after extensive chemotherapy
    large_lesion_mm: float = 100.0  # §3.5 > 10 cm
    small_lesion_mm: float = 10.0  # 4.2 < 1 cm
    # Lines of systemic therapy from medication records (not in the paper; clinical/lines.py):
    # a break longer than this starts a new line; agents started within the window are one
    # combination regimen.
    line_gap_days: int = 90
    regimen_window_days: int = 28
