"""The name each source is stored under (source_files.file_format, crime_counts.source), in one place.

These are constants, never user input: SQL may name them with f-strings (`f"... source = '{POLICE_UK}'"`).
A stored value: changing one means upgrading every store that holds it.
"""

from __future__ import annotations

MPS_BOROUGH = "mps_borough"  # MPS Borough Level Crime extract (wide, one column per month)
MPS_WARD = "mps_ward"  # MPS Ward Level Crime extract (wide)
MPS_LSOA = "mps_lsoa"  # MPS LSOA Level Crime extract (wide)
POLICE_UK = "police_uk"  # police.uk street-level crime files, and the borough/ward/LSOA rows derived from them
MPS_DASHBOARD = "mps_dashboard"  # MPS Monthly Crime Dashboard data (workbook or CSV), measures by borough and ward
LONG_COUNTS = "long_counts"  # long-format counts (month, area, category, count): series reshaped by hand
POPULATION = "population"  # a population file (area, population[, year][, denominator][, area_level])
LSOA_LOOKUP = "lsoa_lookup"  # ONS LSOA to ward to local authority lookup
LSOA11_LOOKUP = "lsoa11_lookup"  # ONS LSOA (2011) to LSOA (2021) to local authority lookup
FORCE_LOOKUP = "force_lookup"  # ONS local authority to community safety partnership to police force area lookup
ONS_POPULATION = "ons_population"  # ONS mid-year population estimates workbook (.xls)
PARTNER = "partner_measures"  # a partner-measures file (measure_id, period, area, value, source, ...), CSV or .xlsx

# The MPS wide extracts, whose categories follow the MPS category schemes.
MPS_SOURCES = (MPS_BOROUGH, MPS_WARD, MPS_LSOA)
# The sources a measure's `series` names select from (by minor category).
SERIES_SOURCES = (LONG_COUNTS, POLICE_UK)
