"""The readers per file format, without Dagster: text.py (sha256, text sniffing: binary data,
encodings, NUL bytes, gzip), csv.py (a CSV layout read as text columns), parquet.py (typed columns
read as the text a CSV would hold), xlsx.py (workbooks converted to Parquet), locate.py (the
line and column of a byte a refusal names)."""
