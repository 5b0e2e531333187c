"""CRM analytics beside the SEM: NPS and CSAT, Kano, loyalty typologies, customer value
(RFM, ABC, CLV) from transaction data, and links to survey respondents."""
from .clv import clv_bgnbd, clv_simple, rfm_summary
from .complaints import complaint_table
from .kano import classify as kano_classify
from .kano import kano_pairs, kano_table
from .latent_class import latent_classes
from .link import compare_groups, link_customers
from .profiling import explain_segments
from .scores import csat, nps, nps_compare, nps_table
from .segments import abc_classes, quintile_scores, rfm
from .transactions import Transactions, load_transactions
from .typology import dick_basu, typology_shares

__all__ = ["Transactions", "abc_classes", "clv_bgnbd", "clv_simple", "compare_groups", "complaint_table", "csat", "dick_basu", "explain_segments",
           "kano_classify", "kano_pairs", "kano_table", "latent_classes", "link_customers", "load_transactions", "nps",
           "nps_compare", "nps_table", "quintile_scores", "rfm", "rfm_summary",
           "typology_shares"]
