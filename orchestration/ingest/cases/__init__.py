"""Case-level records (FOIA releases, one row per event: removal, arrest, book-in), at scale, in
one pass.

Every file's layout is recognised from its header (layouts.py declares the layouts as data:
which published column is the event date, state, county, place, method, threat level,
criminality, most serious conviction); the scan projects each file onto those fields
(fields.py), so the files of one load may come in different layouts.

Accepted: `.csv`, `.csv.gz`, `.parquet` and `.xlsx` (every sheet; the header row is found among
the first rows, so the six preamble rows of real releases are skipped, and sheets that continue
the previous one without a header are read as its continuation), several files per load.

Millions of rows are read exactly once. A load is scanned, checked, staged, then merged:

* scan.py — `raw.cases_load`, the single scan of this load's files: rows counted by file, layout,
  event kind, state and county, place, method, fiscal year of the event date (NULL when
  unreadable), threat level, criminality and most serious conviction as published. An .xlsx
  workbook is converted once to Parquet under the warehouse (readers/xlsx.py: a columnar copy
  pays for itself, it is read faster).
* refusals.py — what the load may not hold (dates outside the warehouse's fiscal years, records
  outside an incremental load's fiscal years, NUL bytes in counted fields), refused before
  anything is staged.
* store.py — the staged load: `raw.cases_load_records`, a view over the files themselves (every
  column as published, with file, sha256 and row number; nothing is copied), for the sample
  suite and for naming a row in an error; `raw.cases_load_counts`, records per fiscal year of
  every load, kept across loads (the completeness gate); `raw.cases_load_scope`, the fiscal
  years this load replaces. After the blocking checks passed, `merge_cases_load` moves the load
  into `raw.cases_grouped` (the warehouse's records, counted: every fiscal year for a full
  load, the load's fiscal years for an incremental one), `raw.cases_files` and the `raw.cases`
  view. Everything downstream (normalization, dbt) reads the small counted table, never the
  millions of rows.

DuckDB streams the files (never pandas), so memory stays bounded whatever the size.
"""
