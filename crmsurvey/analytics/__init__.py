"""CRM analytics beside the SEM (NPS so far; Kano, loyalty typologies, RFM/CLV to come)."""
from .nps import nps, nps_table

__all__ = ["nps", "nps_table"]
