"""Running a job and reporting it, without the command line (the CLI and the tests call it):

lock.py       one run per warehouse at a time
plan.py       which job a run executes, on which sources, with which run config
recovery.py   what a failed run left in the build database, folded in or removed first
workers.py    the run's two helper processes (validation, dbt), started and stopped
execute.py    the in-process execution of the planned job
report.py     what happened (RunReport: checks passed and failed, step errors, notes)
accounting.py every raw row read is loaded or quarantined; what the publication holds

Nothing here imports Dagster, dbt or Great Expectations at module level: the CLI imports this
room on every command, and only a run pays for them."""
