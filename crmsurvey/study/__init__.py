"""Studies: one YAML binds questionnaire, data, screening, models, groups and report."""
from .export import write_results
from .load import Study, load_study
from .results import SCHEMA_VERSION, Results, load_results
from .run import StudyRun, run_study

__all__ = ["Study", "StudyRun", "Results", "SCHEMA_VERSION", "load_study", "load_results",
           "run_study", "write_results"]
