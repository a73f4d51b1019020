"""The Great Expectations suites of the checks, run on DataFrames (no Dagster here):

suites.py    the stored suites, expectations/NAME.json, and the columns an expectation checks
outcomes.py  what a suite found (SuiteOutcome, ExpectationOutcome) and how a check words it
validate.py  a suite validated on a DataFrame with GX, in this process (validate_here)
worker.py    the validation process `scomm run` forks, and run_suite: there when it runs, else here

Only validate.py and the validation process import great_expectations, inside functions: the
import costs seconds, and the checks' modules import this room at module level."""
